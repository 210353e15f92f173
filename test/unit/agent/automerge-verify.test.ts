// Auto-merge always requires verify-before-merge: no verifier, a failing run or a run of another tree refuses it.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Verification } from '../../../protocol/src/provenance';
import type { ReviewState } from '../../../protocol/src/patches';
import { AutoMergeCriteria } from '../../../protocol/src/patches';
import { autoMergeTaskSet } from '../../../kernel/src/agent/task-automerge';
import { PatchService } from '../../../kernel/src/patches/service';
import { acceptedTreeDigest } from '../../../kernel/src/patches/verify-tree';
import { engineFor } from '../policy/helpers';
import { rm, tempDir, writeTree } from '../patches/helpers';

describe('agent: auto-merge requires the tests to pass on the accepted tree', () => {
  let base: string;
  let svc: PatchService;
  const criteria = AutoMergeCriteria.parse({ enabled: true, paths: ['test/**'] });
  const engine = engineFor('');
  beforeEach(() => {
    base = tempDir();
    writeTree(path.join(base, 'ws'), { 'test/a.test.js': 'old\n' });
    writeTree(path.join(base, 'up'), { 'test/a.test.js': 'new\n' });
    svc = new PatchService({ stateDir: path.join(base, 'state'), workspace: path.join(base, 'ws'), audit: { record: () => undefined } });
  });
  afterEach(() => rm(base));
  after(() => engine.dispose());

  const run = async (verify?: (id: string, review: ReviewState) => Promise<Verification>) => {
    const set = await svc.generate({ type: 'overlay', upper: path.join(base, 'up') }, { taskId: 't1', testsPassed: true });
    return { set, verdict: await autoMergeTaskSet({ patches: svc, engine, taskId: 't1', mode: 'explore', criteria, set, verify }) };
  };
  const result = (setId: string, treeDigest: string, outcome: Verification['outcome'], failing: string[] = []): Verification => ({
    setId,
    treeDigest,
    hunks: [],
    outcome,
    passed: 1,
    failed: failing.length,
    failing,
    template: 'code-executor',
    exitCode: 0,
    durationMs: 1,
    at: 0,
  });

  it('refuses without a verifier (fail closed)', async () => {
    const { verdict } = await run();
    assert.deepEqual(verdict.reasons, ['verify-before-merge is not available: auto-merge fails closed']);
  });

  it('refuses when the tests fail on the whole set, naming the failing test', async () => {
    const { verdict } = await run(async (id, review) =>
      result(id, acceptedTreeDigest(await svc.plan(id, undefined, review)), 'failed', ['adds numbers']),
    );
    assert.equal(verdict.allowed, false);
    assert.match(verdict.reasons.join('\n'), /tests failed on the accepted changes: adds numbers/);
  });

  it('refuses a passing run of another tree, allows a passing run of this one (verifying everything accepted)', async () => {
    const other = await run(async (id) => result(id, `sha256:${'0'.repeat(64)}`, 'passed'));
    assert.match(other.verdict.reasons.join('\n'), /another accepted subset/);
    let asked: ReviewState | undefined;
    const { set, verdict } = await run(async (id, review) => {
      asked = review;
      return result(id, acceptedTreeDigest(await svc.plan(id, undefined, review)), 'passed');
    });
    assert.deepEqual(verdict.reasons, []);
    assert.equal(verdict.allowed, true);
    assert.deepEqual(asked, { 'test/a.test.js': { file: 'accept', hunks: {} } });
    assert.deepEqual(svc.show(set.id).review, asked, 'the allowed auto-merge recorded the accept');
  });
});
