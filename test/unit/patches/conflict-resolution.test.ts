// A conflict the person resolves (merge editor) or drops settles the set; it is never re-planned or skipped as merged.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PatchService } from '../../../kernel/src/patches/service';
import { AirlockError } from '../../../protocol/src/errors';
import type { PatchSet } from '../../../protocol/src/patches';
import { rm, tempDir, writeTree } from './helpers';

const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}\n`).join('');

describe('review: conflicts resolved, never skipped (kernel side)', () => {
  let base: string;
  let ws: string;
  let svc: PatchService;
  let set: PatchSet;
  let hunks: string[];

  beforeEach(async () => {
    base = tempDir();
    ws = path.join(base, 'ws');
    const up = path.join(base, 'upper');
    writeTree(ws, { 'a.txt': lines(40) });
    writeTree(up, { 'a.txt': lines(40).replace('line 2\n', 'line TWO\n').replace('line 33\n', 'line 33!\n') });
    svc = new PatchService({ stateDir: path.join(base, 'state'), workspace: ws, audit: { record: () => undefined } });
    set = await svc.generate({ type: 'overlay', upper: up }, { taskId: 't1' });
    const a = set.files[0]!;
    assert.ok(a.type === 'modify' && a.hunks.length === 2);
    hunks = a.hunks.map((h) => h.id);
    await svc.decide({ setId: set.id, items: [{ path: 'a.txt', decision: 'accept' }] });
    // The person edits the first hunk's line after the proposal was made.
    fs.writeFileSync(path.join(ws, 'a.txt'), lines(40).replace('line 2\n', 'line 2 (mine)\n'));
  });
  afterEach(() => rm(base));

  /** The host's first merge: what merged cleanly is written and reported; the conflicted hunk is left out. */
  async function mergeClean(): Promise<void> {
    const { plan } = await svc.planForMerge(set.id);
    assert.deepEqual(
      plan.conflicts.map((c) => c.hunkId),
      [hunks[0]],
    );
    const op = plan.ops[0]!;
    assert.ok(op.type === 'write' && op.content.encoding === 'utf8');
    fs.writeFileSync(path.join(ws, 'a.txt'), op.content.text);
    const status = await svc.merged(set.id, {
      mergeId: 'm1',
      outcome: 'merged',
      paths: ['a.txt'],
      completePaths: plan.completePaths,
      appliedHunks: plan.appliedHunks,
    });
    assert.equal(status, 'pending', 'an accepted hunk that is not in keeps the set open');
  }

  it("serves a modified file's base text by its hash (the merge editor's common ancestor), nothing else", () => {
    const a = set.files[0]!;
    assert.ok(a.type === 'modify');
    assert.equal(svc.readBlob(set.id, a.baseHash, 0, 1 << 20).toString('utf8'), lines(40));
    assert.equal(svc.readBlob(set.id, a.baseHash, 5, 3).toString('utf8'), lines(40).slice(5, 8));
    assert.throws(
      () => svc.readBlob(set.id, a.newHash, 0, 10),
      (e) => AirlockError.from(e).code === 'PATCH_BLOB_NOT_FOUND',
    );
  });

  it('a hunk resolved in the merge editor counts as in: the set is merged and the hunk is not planned again', async () => {
    await mergeClean();
    // The person's result keeps both edits on that line in their own way; the saved file is what is merged.
    fs.writeFileSync(path.join(ws, 'a.txt'), lines(40).replace('line 2\n', 'line TWO (mine)\n').replace('line 33\n', 'line 33!\n'));
    const status = await svc.merged(set.id, {
      mergeId: 'r1',
      outcome: 'merged',
      paths: ['a.txt'],
      appliedHunks: [hunks[0]!],
      completePaths: [],
    });
    assert.equal(status, 'merged');
    const again = await svc.planForMerge(set.id);
    assert.deepEqual(again.plan.conflicts, [], "a resolved hunk is not reported conflicted against the person's result");
    assert.deepEqual(again.plan.ops, []);
  });

  it('dropping the conflicted hunk (an explicit reject) settles a partly merged set as merged', async () => {
    await mergeClean();
    await svc.decide({ setId: set.id, items: [{ path: 'a.txt', hunkId: hunks[0]!, decision: 'reject' }] });
    assert.equal(svc.show(set.id).set.status, 'merged');
  });

  it('rejecting everything before any merge still rejects the set', async () => {
    await svc.decide({ setId: set.id, items: [{ path: 'a.txt', decision: 'reject' }] });
    assert.equal(svc.show(set.id).set.status, 'rejected');
  });
});
