import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FilePatch, PatchSet } from '../../../protocol/src/patches';
import { sha256 } from '../../../core/src/apply/file-hash';
import { generatePatchSet } from '../../../kernel/src/patches/generate';
import { scanUpper } from '../../../kernel/src/patches/scan';
import { opaque, rm, tempDir, whiteout, writeTree } from './helpers';

async function gen(ws: string, upper: string, extra: Partial<Parameters<typeof generatePatchSet>[0]> = {}): Promise<PatchSet> {
  return generatePatchSet({ workspace: ws, scan: await scanUpper(upper), source: 'overlay', ...extra });
}
const byPath = (s: PatchSet) => Object.fromEntries(s.files.map((f) => [f.path, f])) as Record<string, FilePatch>;

describe('patches: generation from an overlay upper dir', () => {
  let ws: string;
  let up: string;
  beforeEach(() => {
    ws = tempDir();
    up = tempDir();
  });
  afterEach(() => rm(ws, up));

  it('produces modify, add, delete (whiteout), rename, mode and binary patches with base hashes', async () => {
    writeTree(ws, {
      'src/a.ts': 'one\ntwo\nthree\n',
      'src/gone.txt': 'bye\n',
      'old/name.txt': 'moved content\n',
      'run.sh': 'echo hi\n',
      'img.bin': Buffer.from([0, 1, 2, 3]),
    });
    fs.chmodSync(path.join(ws, 'run.sh'), 0o644);
    writeTree(up, {
      'src/a.ts': 'one\nTWO\nthree\n',
      'src/new.ts': 'fresh\n',
      'new/name.txt': 'moved content\n',
      'run.sh': 'echo hi\n',
      'img.bin': Buffer.from([0, 9, 9, 3, 4]),
    });
    fs.chmodSync(path.join(up, 'run.sh'), 0o755);
    whiteout(up, 'src/gone.txt');
    whiteout(up, 'old/name.txt');
    const set = await gen(ws, up);
    const f = byPath(set);
    assert.deepEqual(Object.keys(f).sort(), ['img.bin', 'new/name.txt', 'run.sh', 'src/a.ts', 'src/gone.txt', 'src/new.ts']);
    const a = f['src/a.ts'];
    assert.equal(a.type, 'modify');
    assert.ok(a.type === 'modify' && a.hunks.length === 1 && a.added === 1 && a.removed === 1);
    assert.deepEqual(a.type === 'modify' && a.hunks[0].lines, [' one', '-two', '+TWO', ' three']);
    assert.equal(a.type === 'modify' && a.baseHash, sha256('one\ntwo\nthree\n'));
    assert.equal(f['src/new.ts'].type, 'add');
    assert.equal(f['src/gone.txt'].type, 'delete');
    const r = f['new/name.txt'];
    assert.ok(r.type === 'rename' && r.from === 'old/name.txt');
    const m = f['run.sh'];
    assert.ok(m.type === 'mode' && m.oldMode === 0o644 && m.newMode === 0o755);
    const b = f['img.bin'];
    assert.ok(b.type === 'binary' && b.reason === 'binary' && b.size === 5 && b.oldSize === 4 && /^[0-9a-f]{40}$/.test(b.gitOld ?? ''));
    assert.deepEqual(set.stats, { files: 6, added: 2, removed: 2 });
    assert.deepEqual(set.blocked, []);
  });

  it('expands a whiteout over a directory and an opaque directory into file deletions', async () => {
    writeTree(ws, { 'd1/a': 'a\n', 'd1/sub/b': 'b\n', 'd2/keep': 'k\n', 'd2/drop': 'x\n', 'd2/deep/y': 'y\n' });
    whiteout(up, 'd1');
    opaque(up, 'd2');
    writeTree(up, { 'd2/keep': 'k2\n' });
    const f = byPath(await gen(ws, up));
    assert.deepEqual(
      Object.entries(f)
        .map(([p, x]) => `${x.type} ${p}`)
        .sort(),
      ['delete d1/a', 'delete d1/sub/b', 'delete d2/deep/y', 'delete d2/drop', 'modify d2/keep'],
    );
  });

  it('skips files copied up without changes and blocks protected paths, symlinks and device nodes', async () => {
    writeTree(ws, { 'same.txt': 'x\n', '.git/HEAD': 'ref: main\n', 'lib/x.txt': 'x\n' });
    writeTree(up, { 'same.txt': 'x\n', '.git/HEAD': 'evil\n', '.airlock/policy.yaml': 'allow: all\n', 'deep/.git/config': 'x' });
    fs.symlinkSync('/etc/passwd', path.join(up, 'link'));
    const set = await gen(ws, up, { isProtected: (p) => (p.startsWith('secrets/') ? 'secrets are protected by policy' : undefined) });
    writeTree(up, { 'secrets/key': 'k' });
    const set2 = await gen(ws, up, { isProtected: (p) => (p.startsWith('secrets/') ? 'secrets are protected by policy' : undefined) });
    assert.deepEqual(set.files, []);
    assert.deepEqual(set.blocked.map((b) => b.path).sort(), ['.airlock/policy.yaml', '.git/HEAD', 'deep/.git/config', 'link']);
    assert.ok(set2.blocked.some((b) => b.path === 'secrets/key' && b.reason === 'secrets are protected by policy'));
  });

  it('refuses writes below a workspace symlink (symlink swap) and names with newlines (unsafe to show a reviewer)', async () => {
    fs.mkdirSync(path.join(ws, 'real'));
    fs.symlinkSync('/etc', path.join(ws, 'etc-link'));
    writeTree(up, { 'etc-link/passwd': 'root::0:0\n', 'odd\nname.txt': 'hello\n' });
    const set = await gen(ws, up);
    assert.deepEqual(set.blocked.map((b) => b.path).sort(), ['etc-link/passwd', 'odd\nname.txt']);
    assert.match(set.blocked.find((b) => b.path === 'etc-link/passwd')!.reason, /symlink/);
    assert.match(set.blocked.find((b) => b.path === 'odd\nname.txt')!.reason, /U\+000A|control|unsafe/i);
    // The sandbox replaced the link by a directory: removing the link is proposed, writing through it is not.
    assert.deepEqual(
      set.files.map((f) => `${f.type}:${f.path}`),
      ['delete:etc-link'],
    );
  });

  it('handles 10,000 changed files and refuses more than maxFiles with a clear error', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) files[`many/d${i % 100}/f${i}.txt`] = `line ${i}\n`;
    writeTree(up, files);
    const set = await gen(ws, up);
    assert.equal(set.files.length, 10_000);
    await assert.rejects(gen(ws, up, { maxFiles: 5000 }), (e: Error & { code?: string }) => e.code === 'PATCH_TOO_MANY_FILES');
  });

  it('puts a 1 GB sparse file in full-file mode without reading it into memory', async function () {
    this.timeout(60_000);
    const big = path.join(up, 'big.img');
    const fd = fs.openSync(big, 'w');
    fs.ftruncateSync(fd, 1024 ** 3);
    fs.closeSync(fd);
    const before = process.memoryUsage().rss;
    const set = await gen(ws, up);
    const f = set.files[0];
    assert.ok(f.type === 'binary' && f.reason === 'huge' && f.size === 1024 ** 3 && f.baseHash === null);
    assert.ok(process.memoryUsage().rss - before < 200 * 1024 * 1024, 'memory stayed well below the file size');
  });
});
