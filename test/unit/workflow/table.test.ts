// Model-based tests: every legal and every illegal transition of every mode, driven from the table itself.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { type AirlockError } from '../../../protocol/src/errors';
import { type GuardName, type TransitionEvidence, WorkflowMode, WorkflowState } from '../../../protocol/src/workflow';
import { WorkflowService } from '../../../kernel/src/workflow/machine';
import { INSTRUMENT_MARKER, type TransitionRule, WORKFLOW_TABLE } from '../../../kernel/src/workflow/table';
import type { TestRunResult } from '../../../kernel/src/workflow/test-runner';
import { ReplayRunner, TempProject, tempDir, testAudit } from './helpers';

const FAILING_GUARDS: GuardName[] = ['failingTestSeen', 'reproducedFailing'];
const GOOD: TransitionEvidence = {
  changedFiles: ['README.md'],
  hypothesis: 'off by one in sub',
  addedLines: ['return a - b;'],
  patchSetId: 'approved',
  coverage: { before: 80, after: 80 },
};

/** Evidence and runner result under which exactly `guard` fails (every other guard of the rule passes). */
function breaking(guard: GuardName, red: TestRunResult, green: TestRunResult): { evidence: TransitionEvidence; result: TestRunResult } {
  switch (guard) {
    case 'failingTestSeen':
    case 'reproducedFailing':
      return { evidence: GOOD, result: green };
    case 'newTestsPass':
    case 'reproPasses':
    case 'testsPass':
      return { evidence: GOOD, result: red };
    case 'tddExempt':
      return { evidence: { ...GOOD, changedFiles: ['src/calc.ts'] }, result: green };
    case 'hypothesisRecorded':
      return { evidence: { ...GOOD, hypothesis: undefined }, result: green };
    case 'instrumentationRemoved':
      return { evidence: { ...GOOD, addedLines: [`console.log(x); // ${INSTRUMENT_MARKER}`] }, result: green };
    case 'patchApproved':
      return { evidence: { ...GOOD, patchSetId: 'not-approved' }, result: green };
    case 'withinDebtBudget':
      return { evidence: { ...GOOD, coverage: { before: 80, after: 70 } }, result: green };
    default: {
      const never: never = guard;
      return never;
    }
  }
}

/** Shortest path of rules from the initial state to `target` (BFS over the table). */
function pathTo(mode: WorkflowMode, target: WorkflowState): TransitionRule[] {
  const spec = WORKFLOW_TABLE[mode];
  const prev = new Map<WorkflowState, TransitionRule | null>([[spec.initial, null]]);
  const queue: WorkflowState[] = [spec.initial];
  while (queue.length) {
    const s = queue.shift()!;
    for (const r of spec.transitions)
      if (r.from === s && !prev.has(r.to)) {
        prev.set(r.to, r);
        queue.push(r.to);
      }
  }
  assert.ok(prev.has(target), `${mode}: ${target} is unreachable`);
  const out: TransitionRule[] = [];
  for (let r = prev.get(target); r; r = prev.get(r.from)!) out.unshift(r);
  return out;
}

describe('workflow state machine (model-based, from the table)', function () {
  this.timeout(60_000);
  let red: TestRunResult;
  let green: TestRunResult;
  let dir: string;
  const runner = new ReplayRunner();
  let wf: WorkflowService;
  let n = 0;

  before(async () => {
    // Real outputs: the same project with a failing and then a passing "subtracts" test.
    const p = new TempProject('mocha');
    p.setTests([
      ['adds', 'calc.add(1, 2) === 3'],
      ['subtracts', 'calc.sub(3, 1) === 2'],
    ]);
    red = await p.runner().run(AbortSignal.timeout(30_000));
    p.setImpl('exports.add = (a, b) => a + b;\nexports.sub = (a, b) => a - b;\n');
    green = await p.runner().run(AbortSignal.timeout(30_000));
    p.dispose();
    dir = tempDir('wf-model');
    wf = new WorkflowService({
      audit: testAudit().audit,
      dbPath: path.join(dir, 'workflow.db'),
      runner,
      approvals: { isApproved: async (id) => id === 'approved' },
    });
  });
  after(() => wf.dispose());

  const apply = async (id: string, r: TransitionRule) => {
    runner.next = r.guards.some((g) => FAILING_GUARDS.includes(g)) ? red : green;
    return wf.transition(id, r.to, GOOD, 'person', AbortSignal.timeout(10_000));
  };
  const sessionAt = async (mode: WorkflowMode, state: WorkflowState): Promise<string> => {
    const id = `s${n++}`;
    wf.create(id, mode);
    for (const r of pathTo(mode, state)) await apply(id, r);
    assert.equal(wf.get(id).state, state);
    return id;
  };

  for (const mode of WorkflowMode.options) {
    const spec = WORKFLOW_TABLE[mode];
    for (const from of spec.states) {
      for (const to of WorkflowState.options) {
        const rule = spec.transitions.find((r) => r.from === from && r.to === to);
        if (rule) {
          it(`${mode}: ${from} -> ${to} is legal${rule.guards.length ? ` with ${rule.guards.join(' + ')}` : ''}`, async () => {
            const id = await sessionAt(mode, from);
            const snap = await apply(id, rule);
            assert.equal(snap.state, to);
            assert.equal(wf.history(id, 1)[0].kind, 'transition');
          });
          for (const g of rule.guards) {
            it(`${mode}: ${from} -> ${to} is refused when ${g} fails, naming ${g}`, async () => {
              const id = await sessionAt(mode, from);
              const b = breaking(g, red, green);
              runner.next = b.result;
              await assert.rejects(
                wf.transition(id, to, b.evidence, 'person', AbortSignal.timeout(10_000)),
                (e: AirlockError) =>
                  e.code === 'WORKFLOW_GUARD_FAILED' && (e.details as { guard: string }).guard === g && e.message.includes(g),
              );
              assert.equal(wf.get(id).state, from);
              const last = wf.history(id, 1)[0];
              assert.deepEqual([last.kind, last.detail.guard], ['refused', g]);
            });
          }
        } else {
          it(`${mode}: ${from} -> ${to} is illegal`, async () => {
            const id = await sessionAt(mode, from);
            const before = wf.get(id);
            await assert.rejects(
              wf.transition(id, to, GOOD, 'person', AbortSignal.timeout(10_000)),
              (e: AirlockError) =>
                e.code === 'WORKFLOW_ILLEGAL_TRANSITION' &&
                e.hint === (before.next.length ? `from ${from} you may go to: ${before.next.map((x) => x.to).join(', ')}` : undefined),
            );
            assert.equal(wf.get(id).state, from);
            assert.equal(wf.history(id, 1)[0].kind, 'refused');
          });
        }
      }
    }
  }
});
