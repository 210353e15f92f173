import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyOps, type HostOp } from '../../../core/src/apply/apply';
import { listJournals, recoverMerges } from '../../../core/src/apply/apply-journal';
import { sha256 } from '../../../core/src/apply/file-hash';
import { undoLastMerge } from '../../../core/src/apply/undo';
import type { PatchSet, ReviewState } from '../../../protocol/src/patches';
import { readCurrentFiles } from '../../../kernel/src/patches/current';
import { generatePatchSet } from '../../../kernel/src/patches/generate';
import { planMerge } from '../../../kernel/src/patches/merge-plan';
import { scanUpper } from '../../../kernel/src/patches/scan';
import { threeWay } from '../../../kernel/src/patches/three-way';
import { makeHunks } from '../../../kernel/src/patches/text';
import { readTree, rm, tempDir, whiteout, writeTree } from './helpers';

const lines = (n: number, f = (i: number) => `line ${i}`) => Array.from({ length: n }, (_, i) => f(i) + '\n').join('');

describe('patches: three-way merge', () => {
  const base = lines(40);
  const theirs = base.replace('line 5\n', 'line FIVE\n').replace('line 30\n', 'line THIRTY\n');
  const hunks = makeHunks('f', base, theirs);

  it("applies hunks cleanly around the person's edits elsewhere in the file", () => {
    const ours = base.replace('line 18\n', 'mine 18\n');
    const r = threeWay(base, ours, hunks);
    assert.equal(r.conflicted.length, 0);
    assert.equal(r.text, theirs.replace('line 18\n', 'mine 18\n'));
  });

  it('marks a hunk conflicted when the person edited the same lines, keeping their text', () => {
    const ours = base.replace('line 5\n', 'mine 5\n');
    const r = threeWay(base, ours, hunks);
    assert.deepEqual(
      r.conflicted.map((c) => c.hunkId),
      [hunks[0].id],
    );
    assert.deepEqual(r.applied, [hunks[1].id]);
    assert.ok(r.text.includes('mine 5\n') && r.text.includes('line THIRTY\n') && !r.text.includes('FIVE'));
  });

  it('counts an identical edit by the person as applied, and keeps CRLF and a missing final newline', () => {
    assert.equal(threeWay(base, theirs, hunks).text, theirs);
    const b = 'a\r\nb\r\nc';
    const t = 'a\r\nB\r\nc';
    assert.equal(threeWay(b, b, makeHunks('x', b, t)).text, t);
    assert.equal(threeWay('x\n', 'x\n', makeHunks('x', 'x\n', 'x\ny')).text, 'x\ny');
  });
});

describe('patches: merge planning and host apply', () => {
  let ws: string;
  let up: string;
  let jd: string;
  beforeEach(() => {
    ws = tempDir();
    up = tempDir();
    jd = tempDir('airlock-journal-');
  });
  afterEach(() => rm(ws, up, jd));

  async function setup(): Promise<PatchSet> {
    writeTree(ws, { 'a.txt': lines(40), 'b.txt': 'keep\n', 'c.txt': 'old\n', 'gone.txt': 'bye\n' });
    writeTree(up, {
      'a.txt': lines(40).replace('line 5\n', 'line FIVE\n').replace('line 30\n', 'line THIRTY\n'),
      'new/d.txt': 'new file\n',
      'c.txt': 'newer\n',
    });
    whiteout(up, 'gone.txt');
    return generatePatchSet({ workspace: ws, scan: await scanUpper(up), source: 'overlay' });
  }
  async function plan(set: PatchSet, state: ReviewState) {
    const cur = await readCurrentFiles(ws, set);
    const base = new Map<string, string>([[sha256(lines(40)), lines(40)]]);
    return planMerge(
      set,
      state,
      (p) => cur.get(p) ?? null,
      (h) => base.get(h),
    );
  }

  it('writes only accepted hunks and files, and undo restores the workspace exactly', async () => {
    const set = await setup();
    const a = set.files.find((f) => f.path === 'a.txt')!;
    assert.ok(a.type === 'modify');
    const before = readTree(ws);
    const p = await plan(set, {
      'a.txt': { hunks: { [a.hunks[0].id]: 'accept', [a.hunks[1].id]: 'reject' } },
      'new/d.txt': { file: 'accept', hunks: {} },
      'gone.txt': { file: 'accept', hunks: {} },
      'c.txt': { file: 'reject', hunks: {} },
    });
    assert.deepEqual(p.conflicts, []);
    assert.deepEqual(p.completePaths.sort(), ['gone.txt', 'new/d.txt']);
    await applyOps(p.ops, { workspace: ws, journalDir: jd, setId: set.id });
    assert.equal(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8'), lines(40).replace('line 5\n', 'line FIVE\n'));
    assert.equal(fs.readFileSync(path.join(ws, 'new/d.txt'), 'utf8'), 'new file\n');
    assert.equal(fs.existsSync(path.join(ws, 'gone.txt')), false);
    assert.equal(fs.readFileSync(path.join(ws, 'c.txt'), 'utf8'), 'old\n');
    assert.deepEqual(
      fs.readdirSync(ws).filter((n) => n.startsWith('.airlock')),
      [],
    );
    await undoLastMerge({ workspace: ws, journalDir: jd });
    assert.deepEqual(readTree(ws), before);
    assert.ok(!fs.existsSync(path.join(ws, 'new')), 'a directory the merge created is removed again');
  });

  it('removes folders a merge emptied, as git does (not the root, not a folder with other files); undo brings them back', async () => {
    writeTree(ws, { 'd/sub/c.txt': 'c\n', 'd/keep.txt': 'k\n', 'e/only.txt': 'o\n', 'top.txt': 't\n' });
    const before = readTree(ws);
    const del = (p: string, text: string): HostOp => ({ type: 'delete', path: p, expect: sha256(text) });
    await applyOps([del('d/sub/c.txt', 'c\n'), del('e/only.txt', 'o\n'), del('top.txt', 't\n')], {
      workspace: ws,
      journalDir: jd,
      setId: 'ps_dirs',
    });
    assert.equal(fs.existsSync(path.join(ws, 'd', 'sub')), false, 'd/sub was emptied by the merge');
    assert.equal(fs.existsSync(path.join(ws, 'e')), false, 'e was emptied by the merge');
    assert.deepEqual(fs.readdirSync(path.join(ws, 'd')), ['keep.txt']);
    assert.ok(fs.existsSync(ws));
    await undoLastMerge({ workspace: ws, journalDir: jd });
    assert.deepEqual(readTree(ws), before);
  });

  it("turns the person's concurrent edit into a conflict (not a loss) and refuses a stale plan", async () => {
    const set = await setup();
    fs.writeFileSync(path.join(ws, 'a.txt'), lines(40).replace('line 5\n', 'my own 5\n'));
    fs.writeFileSync(path.join(ws, 'gone.txt'), 'edited, keep me\n');
    const all: ReviewState = Object.fromEntries(set.files.map((f) => [f.path, { file: 'accept' as const, hunks: {} }]));
    const p = await plan(set, all);
    assert.deepEqual(p.conflicts.map((c) => c.path).sort(), ['a.txt', 'gone.txt']);
    assert.deepEqual(p.merged3Way, ['a.txt']);
    // The person edits again after planning: the applier refuses the whole set and writes nothing.
    const snapshot = readTree(ws);
    fs.writeFileSync(path.join(ws, 'c.txt'), 'edited after planning\n');
    await assert.rejects(
      applyOps(p.ops, { workspace: ws, journalDir: jd, setId: set.id }),
      (e: Error & { code?: string }) => e.code === 'PATCH_BASE_CHANGED',
    );
    assert.deepEqual(readTree(ws), { ...snapshot, 'c.txt': readTree(ws)['c.txt'] });
    assert.equal(fs.readFileSync(path.join(ws, 'c.txt'), 'utf8'), 'edited after planning\n');
    assert.equal(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8'), lines(40).replace('line 5\n', 'my own 5\n'));
  });

  it('refuses undo when the person edited a merged file since', async () => {
    const set = await setup();
    const p = await plan(set, { 'c.txt': { file: 'accept', hunks: {} } });
    await applyOps(p.ops, { workspace: ws, journalDir: jd, setId: set.id });
    fs.writeFileSync(path.join(ws, 'c.txt'), 'person wrote this\n');
    await assert.rejects(
      undoLastMerge({ workspace: ws, journalDir: jd }),
      (e: Error & { code?: string }) => e.code === 'PATCH_UNDO_CONFLICT',
    );
    assert.equal(fs.readFileSync(path.join(ws, 'c.txt'), 'utf8'), 'person wrote this\n');
  });

  it('refuses malicious plans: escapes, absolute paths and a directory swapped for a symlink', async () => {
    const outside = tempDir('airlock-outside-');
    try {
      const w = (p: string): HostOp => ({
        type: 'write',
        path: p,
        expect: null,
        content: { encoding: 'utf8', text: 'x' },
        newHash: sha256('x'),
        mode: 0o644,
      });
      for (const bad of ['../escape.txt', '/etc/evil', 'a/../../x', 'a//b']) {
        await assert.rejects(
          applyOps([w(bad)], { workspace: ws, journalDir: jd, setId: 'ps_test' }),
          (e: Error & { code?: string }) => e.code === 'PATCH_UNSAFE_PATH',
          bad,
        );
      }
      fs.symlinkSync(outside, path.join(ws, 'sub'));
      await assert.rejects(applyOps([w('sub/file.txt')], { workspace: ws, journalDir: jd, setId: 'ps_test' }), /symlink/);
      assert.deepEqual(fs.readdirSync(outside), []);
    } finally {
      rm(outside);
    }
  });

  for (const stopAt of [-1, 1]) {
    it(`survives kill -9 of the merging process (stopped at step ${stopAt}): workspace intact, merge replayable`, async function () {
      this.timeout(30_000);
      const files: Record<string, string> = {};
      for (let i = 0; i < 4; i++) files[`f${i}.txt`] = `old ${i}\n`;
      writeTree(ws, files);
      const ops: HostOp[] = Object.keys(files).map((p, i) => ({
        type: 'write',
        path: p,
        expect: sha256(`old ${i}\n`),
        content: { encoding: 'utf8', text: `new ${i}\n` },
        newHash: sha256(`new ${i}\n`),
        mode: 0o644,
      }));
      const opsFile = path.join(jd, 'ops.json');
      fs.writeFileSync(opsFile, JSON.stringify(ops));
      const child = spawn(
        process.execPath,
        ['--require', 'tsx/cjs', path.join(__dirname, 'fixtures/merge-child.ts'), ws, path.join(jd, 'j'), opsFile, String(stopAt)],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('paused')) resolve();
        });
        child.on('exit', () => reject(new Error('child exited before pausing')));
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // Each file is wholly old or wholly new, never torn.
      for (let i = 0; i < 4; i++) assert.match(fs.readFileSync(path.join(ws, `f${i}.txt`), 'utf8'), new RegExp(`^(old|new) ${i}\\n$`));
      assert.deepEqual(
        listJournals(path.join(jd, 'j')).map((j) => j.state),
        ['committing'],
      );
      assert.equal((await recoverMerges(ws, path.join(jd, 'j'))).length, 1);
      for (let i = 0; i < 4; i++) assert.equal(fs.readFileSync(path.join(ws, `f${i}.txt`), 'utf8'), `new ${i}\n`);
      assert.deepEqual(fs.readdirSync(ws).sort(), ['f0.txt', 'f1.txt', 'f2.txt', 'f3.txt']);
      // And the replayed merge can be undone like any other.
      await undoLastMerge({ workspace: ws, journalDir: path.join(jd, 'j') });
      for (let i = 0; i < 4; i++) assert.equal(fs.readFileSync(path.join(ws, `f${i}.txt`), 'utf8'), `old ${i}\n`);
    });
  }
});
