// `airlock completion bash|zsh|fish` from the shipped CLI, exercised in the real shells: commands, subcommands, flags
// and configuration keys complete.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { wordsOf } from '../../../cli/src/commands/completion';
import { BUILT_CLI, buildCli } from './built-cli';

function script(shell: string): string {
  const r = spawnSync(process.execPath, [BUILT_CLI, 'completion', shell], { cwd: os.tmpdir(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-completion-')), `airlock.${shell}`);
  fs.writeFileSync(file, r.stdout);
  return file;
}

describe('airlock completion', function () {
  this.timeout(60_000);
  before(() => buildCli());

  it("reads subcommands and flags from a command's usage", () => {
    const w = wordsOf({
      name: 'sessions',
      summary: 's',
      usage: 'airlock sessions list [--limit N] [--json]\n       airlock sessions show|export TASK [--out DIR]',
    });
    assert.deepEqual(w.subcommands, ['export', 'list', 'show']);
    assert.deepEqual(w.flags, ['--help', '--json', '--limit', '--out']);
  });

  it('bash: commands, subcommands, flags and config keys', () => {
    const file = script('bash');
    const complete = (...words: string[]) =>
      spawnSync(
        'bash',
        [
          '-c',
          `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _airlock; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: 'utf8' },
      ).stdout.trim();
    assert.equal(complete('airlock', 'sess'), 'sessions');
    assert.deepEqual(
      complete('airlock', 'review', '')
        .split(' ')
        .filter((w) => !w.startsWith('-')),
      ['accept', 'export', 'list', 'merge', 'reject', 'show', 'undo', 'verify'],
    );
    assert.equal(complete('airlock', 'config', 'explain', 'review.a'), 'review.autoMerge');
    assert.equal(complete('airlock', 'run', '--auto-merge-m'), '--auto-merge-max-lines');
  });

  it('zsh registers the completion through bashcompinit; fish completes commands, subcommands and keys', () => {
    const zsh = spawnSync('zsh', ['-f', '-c', `source ${script('zsh')}; print -r -- \${_comps[airlock]}`], {
      encoding: 'utf8',
      env: { ...process.env, HOME: os.tmpdir() },
    });
    assert.equal(zsh.status, 0, zsh.stderr);
    assert.match(zsh.stdout, /-F _airlock/);
    const fish = (line: string) =>
      spawnSync('fish', ['--no-config', '-c', `source ${script('fish')}; complete -C "${line}"`], {
        encoding: 'utf8',
        env: { ...process.env, HOME: os.tmpdir() },
      }).stdout;
    assert.match(fish('airlock con'), /^config\tshow, explain and change configuration/m);
    assert.deepEqual(fish('airlock sessions ').trim().split('\n').sort(), ['delete', 'export', 'list', 'resume', 'show']);
    assert.deepEqual(fish('airlock config get agent.m').trim().split('\n'), ['agent.mode', 'agent.model']);
  });
});
