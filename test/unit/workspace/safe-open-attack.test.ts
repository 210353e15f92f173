// Attacks on the native read path: a process swaps files and directories for symlinks to a secret while the kernel reads.
import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { disposeGrepPool, grep } from '../../../kernel/src/agent/tools/grep';
import { runTask, type WorkerMessage } from '../../../kernel/src/agent/tools/grep-worker';
import { fsExists, fsList, fsRead, searchGlob, searchGrep } from '../../../kernel/src/agent/tools/native';
import type { ToolContext } from '../../../kernel/src/agent/tools/types';
import { OverlayTree } from '../../../kernel/src/agent/tools/view';

const SECRET = `TOP-SECRET-${process.pid}-${Date.now()}`;

/** Starts a child that swaps `rel` under `root` between the real entry and a symlink to `target`, as fast as it can. */
function swapper(root: string, rel: string, target: string): ChildProcess {
  const src = `
    const fs = require('fs'); const p = ${JSON.stringify(path.join(root, rel))}; const t = ${JSON.stringify(target)};
    const isDir = fs.lstatSync(p).isDirectory(); const away = p + '.away', link = p + '.link';
    // Each state stays a random few microseconds, so every window of the reader meets both.
    const spin = () => { const end = process.hrtime.bigint() + BigInt(Math.floor(Math.random() * 100000)); while (process.hrtime.bigint() < end); };
    if (isDir) {
      fs.symlinkSync(t, link);
      for (;;) { try { fs.renameSync(p, away); fs.renameSync(link, p); spin(); fs.renameSync(p, link); fs.renameSync(away, p); spin(); } catch {} }
    }
    fs.writeFileSync(p + '.file', fs.readFileSync(p));
    for (;;) { try { fs.copyFileSync(p + '.file', p + '.tmp'); fs.renameSync(p + '.tmp', p); spin(); fs.symlinkSync(t, link); fs.renameSync(link, p); spin(); } catch {} }`;
  return spawn(process.execPath, ['-e', src], { stdio: 'ignore' });
}

/** Waits until the swapper has put the symlink in place at least once (it is really racing us). */
async function swapping(p: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    try {
      if (fs.lstatSync(p).isSymbolicLink()) return;
    } catch {
      /* mid-swap */
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error('the swapper never swapped');
}

describe('native read path under attack (symlink swaps, fifos, devices, ..)', function () {
  this.timeout(120_000);
  let base: string, root: string, secretDir: string;
  let child: ChildProcess | undefined;
  const ctx = (workspace = root, extra: Partial<ToolContext> = {}): ToolContext => ({
    workspace,
    taskId: 't',
    signal: new AbortController().signal,
    ...extra,
  });

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-attack-'));
    root = path.join(base, 'root');
    secretDir = path.join(base, 'kernel-state');
    fs.mkdirSync(path.join(root, 'a/b/c'), { recursive: true });
    fs.mkdirSync(path.join(secretDir, 'b/c'), { recursive: true });
    fs.writeFileSync(path.join(root, 'a/b/c/f.txt'), 'safe NEEDLE\n');
    fs.writeFileSync(path.join(root, 'a/b/c/g.txt'), 'safe NEEDLE too\n');
    // The same shape outside the root: following any symlink on the way would read the secret.
    for (const f of ['f.txt', 'g.txt', 'b/c/f.txt', 'b/c/g.txt', 'c/f.txt', 'c/g.txt']) {
      fs.mkdirSync(path.dirname(path.join(secretDir, f)), { recursive: true });
      fs.writeFileSync(path.join(secretDir, f), `${SECRET} NEEDLE\n`);
    }
  });
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
    fs.rmSync(base, { recursive: true, force: true });
  });
  after(() => disposeGrepPool());

  it('fs.read of a file swapped thousands of times for a symlink to a secret never returns the secret', async () => {
    child = swapper(root, 'a/b/c/f.txt', path.join(secretDir, 'f.txt'));
    await swapping(path.join(root, 'a/b/c/f.txt'));
    let ok = 0,
      leaked = 0;
    const refused = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      try {
        const r = await fsRead.run({ path: 'a/b/c/f.txt' }, ctx());
        if (r.content.includes(SECRET)) leaked++;
        else if (/safe NEEDLE/.test(r.content)) ok++;
      } catch (err) {
        if (String((err as Error).message).includes(SECRET)) leaked++;
        const code = (err as { code: string }).code;
        refused.set(code, (refused.get(code) ?? 0) + 1);
      }
    }
    assert.equal(leaked, 0, `${leaked} of 4000 reads returned the secret`);
    // Only "it is a symlink" (or, mid-rename, "missing"); both outcomes happened: the race was real.
    assert.deepEqual(
      [...refused.keys()].filter((c) => c !== 'FS_SYMLINK' && c !== 'FS_NOT_FOUND'),
      [],
    );
    assert.ok(ok > 0 && refused.size > 0, `ok ${ok}, refused ${JSON.stringify([...refused])}`);
  });

  it('fs.read and fs.exists with a parent directory swapped for a symlink never reach outside', async () => {
    child = swapper(root, 'a/b', path.join(secretDir, 'b'));
    await swapping(path.join(root, 'a/b'));
    let symlinks = 0,
      leaked = 0;
    const codes = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      try {
        const r = await fsRead.run({ path: 'a/b/c/f.txt' }, ctx());
        if (r.content.includes(SECRET)) leaked++;
      } catch (err) {
        codes.add((err as { code: string }).code);
      }
      const e = JSON.parse((await fsExists.run({ path: 'a/b/c/f.txt' }, ctx())).content);
      if (e.type === 'symlink') {
        symlinks++;
        assert.equal(e.path, 'a/b');
      } else assert.ok(e.exists === false || e.type === 'file');
    }
    assert.equal(leaked, 0, `${leaked} of 3000 reads returned the secret`);
    assert.deepEqual(
      [...codes].filter((c) => c !== 'FS_SYMLINK' && c !== 'FS_NOT_FOUND'),
      [],
    );
    assert.ok(symlinks > 0, 'fs.exists never saw the swapped-in symlink');
  });

  it('fs.list, search.glob and search.grep (worker pool and one thread) never walk into a directory swapped mid-walk', async () => {
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(root, `a/b/c/n${i}.txt`), 'safe NEEDLE\n');
    child = swapper(root, 'a/b', path.join(secretDir, 'b'));
    await swapping(path.join(root, 'a/b'));
    const sig = new AbortController().signal;
    let leaked = 0;
    for (let i = 0; i < 300; i++) {
      const outs = [
        (await fsList.run({ path: '.', recursive: true, maxEntries: 10_000 }, ctx())).content,
        (await searchGlob.run({ patterns: ['**'], maxResults: 10_000 }, ctx())).content,
        (await searchGrep.run({ pattern: 'NEEDLE', maxResults: 2000 }, ctx())).content,
        // The task-view path: grep on this thread over an OverlayTree (empty upper dir here).
        JSON.stringify(
          (await grep(new OverlayTree(root, path.join(base, 'no-upper')), { pattern: 'NEEDLE', maxResults: 2000 }, sig)).matches,
        ),
        JSON.stringify((await grep(root, { pattern: 'NEEDLE', maxResults: 2000 }, sig)).matches),
      ];
      leaked += outs.filter((o) => o.includes(SECRET)).length;
    }
    assert.equal(leaked, 0, `${leaked} of 1500 walks returned the secret`);
  });

  it('the grep worker task itself (as a worker thread runs it) reads nothing through a swapped-in symlink', async () => {
    child = swapper(root, 'a/b/c/f.txt', path.join(secretDir, 'f.txt'));
    await swapping(path.join(root, 'a/b/c/f.txt'));
    let scanned = 0;
    for (let i = 0; i < 2000; i++) {
      const msg: WorkerMessage = runTask(
        {
          search: 1,
          id: 0,
          root,
          query: { pattern: 'NEEDLE' },
          limit: 100,
          demand: new Int32Array(new SharedArrayBuffer(4)),
          control: new Int32Array(new SharedArrayBuffer(8)),
          task: { type: 'files', rel: 'a/b/c', names: ['f.txt', 'g.txt'] },
        },
        () => undefined,
      );
      assert.ok(!JSON.stringify(msg).includes(SECRET), `task ${i} leaked the secret`);
      if (msg.type === 'done') scanned += msg.searched;
    }
    assert.ok(scanned > 2000, 'the worker stopped reading the real files');
  });

  it('a symlink at every position of a path is reported, never followed', async () => {
    const parts = ['a', 'b', 'c', 'f.txt'];
    for (let i = 0; i < parts.length; i++) {
      const at = path.join(root, ...parts.slice(0, i + 1));
      const saved = `${at}.saved`;
      fs.renameSync(at, saved);
      // Points at the same shape outside the root, so following it would succeed and read the secret.
      fs.symlinkSync(path.join(secretDir, ...parts.slice(1, i + 1)) || secretDir, at);
      try {
        const rel = parts.join('/');
        await assert.rejects(
          fsRead.run({ path: rel }, ctx()),
          (e: { code: string; message: string }) =>
            e.code === 'FS_SYMLINK' &&
            e.message.includes(`"${parts.slice(0, i + 1).join('/')}" is a symlink to "${secretDir}`) &&
            !e.message.includes(SECRET),
        );
        const ex = JSON.parse((await fsExists.run({ path: rel }, ctx())).content);
        assert.equal(ex.type, 'symlink');
        assert.equal(ex.path, parts.slice(0, i + 1).join('/'));
        if (i < parts.length - 1) {
          await assert.rejects(
            fsList.run({ path: parts.slice(0, i + 1).join('/'), recursive: true, maxEntries: 100 }, ctx()),
            /is a symlink/,
          );
          await assert.rejects(
            searchGrep.run({ pattern: 'NEEDLE', path: parts.slice(0, i + 1).join('/'), maxResults: 10 }, ctx()),
            /is a symlink/,
          );
        }
        const all = (await searchGrep.run({ pattern: 'NEEDLE', maxResults: 100 }, ctx())).content;
        assert.ok(!all.includes(SECRET), all);
      } finally {
        fs.unlinkSync(at);
        fs.renameSync(saved, at);
      }
    }
  });

  it('".." components are folded lexically and refused above the root; absolute paths are refused', async () => {
    for (const p of [
      '..',
      '../kernel-state/f.txt',
      'a/../../kernel-state/f.txt',
      'a/b/../../../kernel-state/f.txt',
      `${secretDir}/f.txt`,
      'a/\0/f.txt',
    ]) {
      await assert.rejects(fsRead.run({ path: p }, ctx()), (e: { code: string }) => e.code === 'FS_PATH_OUTSIDE_WORKSPACE', p);
      await assert.rejects(
        fsList.run({ path: p, recursive: false, maxEntries: 10 }, ctx()),
        (e: { code: string }) => e.code === 'FS_PATH_OUTSIDE_WORKSPACE',
        p,
      );
    }
    assert.match((await fsRead.run({ path: 'a/b/../b/./c//f.txt' }, ctx())).content, /safe NEEDLE/);
    // `x/..` never looks at x: a symlink there changes nothing.
    fs.symlinkSync(secretDir, path.join(root, 'x'));
    assert.match((await fsRead.run({ path: 'x/../a/b/c/f.txt' }, ctx())).content, /safe NEEDLE/);
  });

  it('a fifo or a device file is refused at once (no blocking open), and walks skip them', () => {
    mustRun('mkfifo', [path.join(root, 'a/fifo')]);
    const dev = path.join(root, 'a/null');
    const hasDev = spawnSync('mknod', [dev, 'c', '1', '3']).status === 0;
    // In a child with a deadline: a blocking open would hang this process for good, not fail the test.
    const code = `
      const { fsRead, fsList, searchGrep } = require(${JSON.stringify(path.resolve(__dirname, '../../../kernel/src/agent/tools/native'))});
      const ctx = { workspace: ${JSON.stringify(root)}, taskId: 't', signal: new AbortController().signal };
      (async () => {
        const out = [];
        for (const p of ['a/fifo'${hasDev ? ", 'a/null'" : ''}]) { try { await fsRead.run({ path: p }, ctx); out.push('read'); } catch (e) { out.push(e.code); } }
        out.push((await fsList.run({ path: 'a', recursive: true, maxEntries: 100 }, ctx)).content);
        out.push((await searchGrep.run({ pattern: 'NEEDLE', maxResults: 100 }, ctx)).content);
        console.log(JSON.stringify(out));
      })();`;
    const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', code], {
      timeout: 30_000,
      encoding: 'utf8',
      cwd: path.resolve(__dirname, '../../..'),
    });
    assert.equal(r.signal, null, `the read blocked (killed by the deadline): ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.deepEqual(out.slice(0, hasDev ? 2 : 1), hasDev ? ['FS_NOT_REGULAR', 'FS_NOT_REGULAR'] : ['FS_NOT_REGULAR']);
    assert.equal(out[hasDev ? 2 : 1], 'a/b/\na/b/c/\na/b/c/f.txt\na/b/c/g.txt');
    assert.equal(out[hasDev ? 3 : 2], 'a/b/c/f.txt:1:safe NEEDLE\na/b/c/g.txt:1:safe NEEDLE too');
  });
});

function mustRun(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
}
