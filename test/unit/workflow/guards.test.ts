// Guards with real test runs (node:test and mocha in a child process), exemptions, the debt budget and mode rules.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { WorkflowService } from '../../../kernel/src/workflow/machine';
import { TempProject, tempDir, testAudit } from './helpers';

const sig = () => AbortSignal.timeout(30_000);
const refusedBy = (guard: string, text?: RegExp) => (e: AirlockError) =>
  e.code === 'WORKFLOW_GUARD_FAILED' && (e.details as { guard: string }).guard === guard && (!text || text.test(e.message));

describe('workflow guards with real test runs', function () {
  this.timeout(60_000);

  it('strict mode: red needs a test seen failing; green needs that same test passing and nothing else failing', async () => {
    const p = new TempProject('node-test');
    const wf = new WorkflowService({ audit: testAudit().audit, dbPath: path.join(tempDir('wf'), 'wf.db'), runner: p.runner() });
    try {
      wf.create('s', 'strict');
      await assert.rejects(wf.transition('s', 'red', {}, 'agent', sig()), refusedBy('failingTestSeen', /no failing test.*1 passed/));
      p.setTests([
        ['adds', 'calc.add(1, 2) === 3'],
        ['subtracts', 'calc.sub(3, 1) === 2'],
      ]);
      const red = await wf.transition('s', 'red', {}, 'agent', sig());
      assert.deepEqual(red.watchedTests, ['calc > subtracts']);
      // Implementation attempted, but wrong.
      p.setImpl('exports.add = (a, b) => a + b;\nexports.sub = (a, b) => a + b;\n');
      await assert.rejects(
        wf.transition('s', 'green', {}, 'agent', sig()),
        refusedBy('newTestsPass', /still not passing: calc > subtracts/),
      );
      // Deleting the failing test is not a way to green.
      p.setTests([['adds', 'calc.add(1, 2) === 3']]);
      await assert.rejects(wf.transition('s', 'green', {}, 'agent', sig()), refusedBy('newTestsPass', /gone from the run/));
      p.setTests([
        ['adds', 'calc.add(1, 2) === 3'],
        ['subtracts', 'calc.sub(3, 1) === 2'],
      ]);
      p.setImpl('exports.add = (a, b) => a + b;\nexports.sub = (a, b) => a - b;\n');
      const green = await wf.transition('s', 'green', {}, 'agent', sig());
      assert.deepEqual([green.state, green.watchedTests], ['green', []]);
      assert.equal((await wf.transition('s', 'review', {}, 'agent', sig())).state, 'review');
      await assert.rejects(
        wf.transition('s', 'merged', { patchSetId: 'p1', coverage: { before: 90, after: 90 } }, 'person', sig()),
        refusedBy('patchApproved', /no review service/),
      );
    } finally {
      wf.dispose();
      p.dispose();
    }
  });

  it('debug mode with mocha: reproduce, hypothesise, fix, verify; instrumentation must be gone', async () => {
    const p = new TempProject('mocha');
    const wf = new WorkflowService({ audit: testAudit().audit, dbPath: path.join(tempDir('wf'), 'wf.db'), runner: p.runner() });
    try {
      wf.create('d', 'debug');
      p.setTests([['adds negatives', 'calc.add(-1, -2) === -3']]);
      p.setImpl('exports.add = (a, b) => Math.abs(a) + b;\n');
      await wf.transition('d', 'hypothesise', {}, 'agent', sig());
      await assert.rejects(wf.transition('d', 'fix', { hypothesis: '   ' }, 'agent', sig()), refusedBy('hypothesisRecorded'));
      await wf.transition('d', 'instrument', { hypothesis: 'abs() drops the sign of a' }, 'agent', sig());
      await wf.transition('d', 'fix', {}, 'agent', sig());
      p.setImpl('exports.add = (a, b) => a + b;\n');
      await wf.transition('d', 'verify', {}, 'agent', sig());
      await assert.rejects(
        wf.transition('d', 'review', { addedLines: ['console.log(a) // AIRLOCK-INSTRUMENT'] }, 'agent', sig()),
        refusedBy('instrumentationRemoved', /1 instrumentation line/),
      );
      await assert.rejects(wf.transition('d', 'review', {}, 'agent', sig()), refusedBy('instrumentationRemoved', /added lines are needed/));
      assert.equal(
        (await wf.transition('d', 'review', { addedLines: ['exports.add = (a, b) => a + b;'] }, 'agent', sig())).state,
        'review',
      );
    } finally {
      wf.dispose();
      p.dispose();
    }
  });

  it('a failing test runner fails the guard closed, with the reason', async () => {
    const p = new TempProject('node-test');
    const wf = new WorkflowService({
      audit: testAudit().audit,
      dbPath: path.join(tempDir('wf'), 'wf.db'),
      runner: {
        run: async () => {
          throw new AirlockError('RUNTIME_DOWN', 'engine gone');
        },
      },
    });
    try {
      wf.create('x', 'strict');
      await assert.rejects(wf.transition('x', 'red', {}, 'agent', sig()), refusedBy('failingTestSeen', /RUNTIME_DOWN: engine gone/));
      const none = new WorkflowService({ audit: testAudit().audit, dbPath: path.join(tempDir('wf'), 'wf.db') });
      none.create('y', 'strict');
      await assert.rejects(none.transition('y', 'red', {}, 'agent', sig()), refusedBy('failingTestSeen', /WORKFLOW_NO_TEST_RUNNER/));
      none.dispose();
    } finally {
      wf.dispose();
      p.dispose();
    }
  });
});

describe('workflow exemptions, debt budget and modes', () => {
  let wf: WorkflowService;
  beforeEach(() => {
    wf = new WorkflowService({
      audit: testAudit().audit,
      dbPath: path.join(tempDir('wf'), 'wf.db'),
      approvals: { isApproved: async (id) => id === 'ok' },
      debtLimitPct: 2,
    });
  });
  afterEach(() => wf.dispose());

  it('exempts docs-only, config and generated changes, each recorded with its reason; code is not exempt', async () => {
    const cases: Array<[string[], string]> = [
      [['README.md', 'docs/guide.md'], 'docs-only'],
      [['tsconfig.json', '.github/ci.yml'], 'config'],
      [['dist/bundle.js'], 'generated'],
    ];
    for (const [i, [files, kind]] of cases.entries()) {
      wf.create(`e${i}`, 'strict');
      const s = await wf.transition(`e${i}`, 'green', { changedFiles: files }, 'agent', sig());
      assert.equal(s.exemption?.kind, kind);
      assert.match((wf.history(`e${i}`, 1)[0].detail.notes as string[])[0], new RegExp(`tddExempt: exempt \\(${kind}\\)`));
    }
    wf.create('code', 'strict');
    await assert.rejects(
      wf.transition('code', 'green', { changedFiles: ['README.md', 'src/a.ts'] }, 'agent', sig()),
      refusedBy('tddExempt', /needs a test first: src\/a.ts/),
    );
  });

  it('only a person can waive test-first, and the waiver reason is kept', async () => {
    wf.create('w', 'strict');
    await assert.rejects(
      wf.transition('w', 'green', { waiver: { reason: 'prototype' } }, 'agent', sig()),
      refusedBy('tddExempt', /only a person/),
    );
    const s = await wf.transition('w', 'green', { waiver: { reason: 'spike for a demo, tests follow in #12' } }, 'person', sig());
    assert.deepEqual(s.exemption, { kind: 'waiver', reason: 'spike for a demo, tests follow in #12' });
  });

  it('holds a merge that would overspend the coverage budget, with the numbers; a person can accept the debt', async () => {
    wf.create('b', 'explore');
    await wf.transition('b', 'review', {}, 'agent', sig());
    const merge = { patchSetId: 'ok', coverage: { before: 80, after: 78.5 } };
    let s = await wf.transition('b', 'merged', merge, 'agent', sig());
    assert.deepEqual(s.budget, { limitPct: 2, usedPct: 1.5, remainingPct: 0.5, held: null });
    await wf.transition('b', 'editing', {}, 'agent', sig());
    await wf.transition('b', 'review', {}, 'agent', sig());
    const over = { patchSetId: 'ok', coverage: { before: 78.5, after: 77 } };
    await assert.rejects(
      wf.transition('b', 'merged', over, 'agent', sig()),
      refusedBy('withinDebtBudget', /drop 1.5 points \(78.5% -> 77%\); 0.5 of the 2-point budget is left/),
    );
    assert.deepEqual(wf.get('b').budget.held, {
      before: 78.5,
      after: 77,
      dropPct: 1.5,
      reason: 'coverage would drop 1.5 points (78.5% -> 77%); 0.5 of the 2-point budget is left',
    });
    await assert.rejects(wf.transition('b', 'merged', { ...over, acceptDebt: true }, 'agent', sig()), refusedBy('withinDebtBudget'));
    s = await wf.transition('b', 'merged', { ...over, acceptDebt: true }, 'person', sig());
    assert.deepEqual([s.state, s.budget.usedPct, s.budget.remainingPct, s.budget.held], ['merged', 3, 0, null]);
    await wf.transition('b', 'editing', {}, 'agent', sig());
    await wf.transition('b', 'review', {}, 'agent', sig());
    await assert.rejects(
      wf.transition('b', 'merged', { patchSetId: 'ok' }, 'person', sig()),
      refusedBy('withinDebtBudget', /coverage numbers/),
    );
  });

  it('mode switches: an agent may tighten but not loosen; every switch is recorded with its reason', async () => {
    wf.create('m', 'explore');
    let s = await wf.setMode('m', 'strict', 'touching the parser', 'agent');
    assert.deepEqual([s.mode, s.state], ['strict', 'spec']);
    await assert.rejects(wf.setMode('m', 'explore', 'too slow', 'agent'), (e: AirlockError) => e.code === 'WORKFLOW_MODE_LOOSENING');
    s = await wf.setMode('m', 'debug', 'chasing a crash', 'person');
    assert.deepEqual([s.mode, s.state], ['debug', 'reproduce']);
    const last = wf.history('m', 1)[0];
    assert.deepEqual([last.kind, last.actor, last.detail.fromMode, last.detail.reason], ['mode', 'person', 'strict', 'chasing a crash']);
  });
});
