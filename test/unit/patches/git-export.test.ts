import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportGit, quotePath } from '../../../kernel/src/patches/git-export';
import { generatePatchSet } from '../../../kernel/src/patches/generate';
import { scanUpper } from '../../../kernel/src/patches/scan';
import { readTree, rm, tempDir, whiteout, writeTree } from './helpers';

/** What the sandbox saw: the base with the upper dir laid over it (files replace, whiteouts delete). */
function mergedView(ws: string, up: string, out: string): void {
  fs.cpSync(ws, out, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(up, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isCharacterDevice()) fs.rmSync(path.join(out, r), { recursive: true, force: true });
      else if (e.isDirectory()) {
        fs.mkdirSync(path.join(out, r), { recursive: true });
        walk(r);
      } else {
        fs.rmSync(path.join(out, r), { force: true });
        fs.copyFileSync(path.join(up, r), path.join(out, r));
        fs.chmodSync(path.join(out, r), fs.statSync(path.join(up, r)).mode & 0o777);
      }
    }
  };
  walk('');
}

describe('patches: git export', () => {
  let ws: string;
  let up: string;
  let applied: string;
  let expected: string;
  beforeEach(() => {
    ws = tempDir();
    up = tempDir();
    applied = tempDir();
    expected = tempDir();
    rm(applied, expected);
  });
  afterEach(() => rm(ws, up, applied, expected));

  it('writes a diff that stock `git apply` applies to the base tree with an identical result', async () => {
    const rnd = crypto.randomBytes(200_000);
    writeTree(
      ws,
      {
        'src/a.ts': Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join(''),
        'noeol.txt': 'a\nb',
        'crlf.txt': 'x\r\ny\r\n',
        'gone.txt': 'bye\n',
        'bin/gone.bin': Buffer.from([0, 1, 2]),
        'old/moved.txt': 'moved content\n',
        'tool.sh': 'echo\n',
        'img.bin': rnd,
        'with space.txt': 'sp\n',
      },
      0o644,
    );
    writeTree(
      up,
      {
        'src/a.ts': Array.from({ length: 50 }, (_, i) => (i === 3 || i === 40 ? `changed ${i}\n` : `line ${i}\n`)).join('') + 'tail\n',
        'noeol.txt': 'a\nB',
        'crlf.txt': 'x\r\nY\r\n',
        'new/file.txt': 'brand new\n',
        'empty.txt': '',
        'odd name "q".txt': 'odd\n',
        'new/moved.txt': 'moved content\n',
        'img.bin': Buffer.concat([rnd.subarray(0, 1000), Buffer.from([0, 0, 7]), rnd.subarray(1003)]),
        'new.bin': Buffer.from([0, 255, 254, 0, 1]),
        'tool.sh': 'echo\n',
        'with space.txt': 'sp2\n',
        'ünï.txt': 'u\n',
      },
      0o644,
    );
    fs.chmodSync(path.join(up, 'tool.sh'), 0o755);
    whiteout(up, 'gone.txt');
    whiteout(up, 'bin/gone.bin');
    whiteout(up, 'old/moved.txt');
    const set = await generatePatchSet({ workspace: ws, scan: await scanUpper(up), source: 'overlay' });
    assert.deepEqual(set.files.map((f) => f.type).sort(), [
      'add',
      'add',
      'add',
      'add',
      'binary',
      'binary',
      'delete',
      'delete',
      'mode',
      'modify',
      'modify',
      'modify',
      'modify',
      'rename',
    ]);
    const diff = exportGit(set, { readNew: (f) => fs.readFileSync(path.join(up, f.path)) });
    assert.match(diff, /GIT binary patch\nliteral /);
    assert.match(diff, /rename from old\/moved.txt\nrename to new\/moved.txt/);
    const patchFile = path.join(ws, '..', `${path.basename(ws)}.diff`);
    fs.writeFileSync(patchFile, diff);
    try {
      fs.cpSync(ws, applied, { recursive: true });
      execFileSync('git', ['apply', '--whitespace=nowarn', patchFile], {
        cwd: applied,
        stdio: 'pipe',
        env: { ...process.env, GIT_DIR: '/nonexistent' },
      });
      mergedView(ws, up, expected);
      const got = readTree(applied);
      const want = readTree(expected);
      // git does not track empty directories; compare files only.
      assert.deepEqual(got, want);
      // Applying twice fails cleanly (git checks the preimage, including the binary blob ids).
      assert.throws(() =>
        execFileSync('git', ['apply', '--check', patchFile], {
          cwd: applied,
          stdio: 'pipe',
          env: { ...process.env, GIT_DIR: '/nonexistent' },
        }),
      );
    } finally {
      fs.rmSync(patchFile, { force: true });
    }
  });

  it('quotes paths the way git does', () => {
    assert.equal(quotePath('a/', 'plain/path.ts'), 'a/plain/path.ts');
    assert.equal(quotePath('a/', 'x\ny'), '"a/x\\ny"');
    assert.equal(quotePath('b/', 'é'), '"b/\\303\\251"');
  });
});
