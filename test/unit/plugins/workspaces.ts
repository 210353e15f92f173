// Workspaces the built-in plugins are tested against (unit and Docker tiers): a real git repository with history and
// an uncommitted change, and a node:test project with one passing and one failing test.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const gitIn = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Ada',
      GIT_AUTHOR_EMAIL: 'ada@example.com',
      GIT_COMMITTER_NAME: 'Ada',
      GIT_COMMITTER_EMAIL: 'ada@example.com',
    },
  });

/** A repository with two commits by two authors and an uncommitted change. */
export function gitWorkspace(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  gitIn(dir, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(dir, 'a.txt'), 'one\ntwo\n');
  gitIn(dir, 'add', '.');
  gitIn(dir, 'commit', '-q', '-m', 'first: a.txt');
  fs.writeFileSync(path.join(dir, 'a.txt'), 'one\ntwo\nthree\n');
  execFileSync('git', ['commit', '-q', '-am', 'second: line three'], {
    cwd: dir,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Grace',
      GIT_AUTHOR_EMAIL: 'grace@example.com',
      GIT_COMMITTER_NAME: 'Grace',
      GIT_COMMITTER_EMAIL: 'grace@example.com',
    },
  });
  fs.writeFileSync(path.join(dir, 'a.txt'), 'one\nTWO\nthree\n');
}

/** A node:test project with one passing and one failing test. */
export function testWorkspace(dir: string): void {
  fs.mkdirSync(path.join(dir, 'test'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'test', 'math.test.js'),
    [
      "const test = require('node:test'); const assert = require('node:assert');",
      "test('adds', () => assert.equal(1 + 1, 2));",
      "test('subtracts wrongly', () => assert.equal(2 - 1, 3));",
      '',
    ].join('\n'),
  );
}
