// How agent tasks obey their mode, as data: which files an edit may touch in each state, which transition a test run
// asks for, the way to review at finish, and what the agent is told to do when a guard refuses.
import picomatch from 'picomatch';
import type { GuardName, WorkflowMode, WorkflowState } from '../../../protocol/src/workflow';
import type { ExemptionPolicy } from './exemptions';

/** What a changed path is, for the edit rules: a test, an exempt file (docs, config, generated) or implementation. */
export type FileClass = 'test' | 'docs-only' | 'config' | 'generated' | 'implementation';

export function fileClassifier(policy: ExemptionPolicy): (rel: string) => FileClass {
  const kinds: Array<[FileClass, (p: string) => boolean]> = [
    ['test', picomatch(policy.tests, { dot: true })],
    ['docs-only', picomatch(policy.docs, { dot: true })],
    ['config', picomatch(policy.config, { dot: true })],
    ['generated', picomatch(policy.generated, { dot: true })],
  ];
  return (rel) => kinds.find(([, m]) => m(rel))?.[0] ?? 'implementation';
}

/** An edit's verdict: allowed, or refused with the guard that must pass first and what to do next. */
export type EditVerdict = { ok: true } | { ok: false; guard?: GuardName; reason: string; hint: string };

type Rule = (cls: FileClass) => EditVerdict;
const ok: EditVerdict = { ok: true };
const any: Rule = () => ok;
const onlyTestsAndExempt =
  (guard: GuardName, why: string, hint: string): Rule =>
  (cls) =>
    cls === 'implementation' ? { ok: false, guard, reason: why, hint } : ok;
const closed =
  (state: WorkflowState, back: WorkflowState): Rule =>
  () => ({
    ok: false,
    reason: `the session is in ${state}: its change is finished`,
    hint: `call workflow.transition with to=${back} to start a new cycle`,
  });

/** Per mode and state: may an edit of a file of this class go ahead? States not listed allow every edit. */
export const EDIT_RULES: Readonly<Record<WorkflowMode, Partial<Record<WorkflowState, Rule>>>> = {
  strict: {
    spec: onlyTestsAndExempt(
      'failingTestSeen',
      'no failing test has been seen in the sandbox yet (strict mode is test-first)',
      'write a failing test first and run it (exec the test command, e.g. npm test); implementation edits are accepted once the session is red',
    ),
    red: any,
    green: any,
    refactor: any,
    review: closed('review', 'spec'),
    merged: closed('merged', 'spec'),
  },
  explore: { editing: any, review: closed('review', 'editing'), merged: closed('merged', 'editing') },
  debug: {
    reproduce: onlyTestsAndExempt(
      'reproducedFailing',
      'the bug has not been reproduced by a failing test in the sandbox yet',
      'write a test that reproduces the bug and run it (exec the test command); fixes are accepted once it fails in the sandbox',
    ),
    hypothesise: onlyTestsAndExempt(
      'hypothesisRecorded',
      'no hypothesis has been stated yet',
      'call workflow.transition with to=fix (or to=instrument) and your hypothesis',
    ),
    instrument: any,
    fix: any,
    verify: any,
    review: closed('review', 'fix'),
    merged: closed('merged', 'reproduce'),
  },
};

export function editVerdict(mode: WorkflowMode, state: WorkflowState, cls: FileClass): EditVerdict {
  return (EDIT_RULES[mode][state] ?? any)(cls);
}

/** The transition the kernel attempts after the agent runs the project's tests (the guard reruns them in a sandbox). */
export const ON_TEST_RUN: Readonly<Record<WorkflowMode, Partial<Record<WorkflowState, WorkflowState>>>> = {
  strict: { spec: 'red', red: 'green' },
  explore: {},
  debug: { reproduce: 'hypothesise', fix: 'verify' },
};

/** At finish, the steps from each state to review (a patch set is produced only once the session is in review). */
export const TO_REVIEW: Readonly<Record<WorkflowMode, Partial<Record<WorkflowState, WorkflowState[]>>>> = {
  strict: { spec: ['green', 'review'], green: ['review'], refactor: ['review'], review: [] },
  explore: { editing: ['review'], review: [] },
  debug: { instrument: ['fix', 'verify', 'review'], fix: ['verify', 'review'], verify: ['review'], review: [] },
};

/** What the agent should do when a guard refuses. */
export const GUARD_HINTS: Readonly<Record<GuardName, string>> = {
  failingTestSeen: 'write a failing test first and run it',
  tddExempt: 'write a failing test first and run it (only a person can waive test-first)',
  newTestsPass: 'make the failing test(s) pass without breaking other tests, then run the tests again',
  testsPass: 'make every test pass, then run the tests again',
  reproducedFailing: 'write a test that reproduces the bug and run it',
  hypothesisRecorded: 'call workflow.transition with to=fix (or instrument) and your hypothesis',
  reproPasses: 'make the reproduction test pass without breaking other tests, then run the tests again',
  instrumentationRemoved: 'remove every line marked AIRLOCK-INSTRUMENT, then finish again',
  patchApproved: 'a person reviews the patch set',
  withinDebtBudget: 'a person decides about the coverage drop',
};

/** The system-prompt section that tells the agent how its mode is enforced. */
export function modeInstructions(mode: WorkflowMode, state: WorkflowState, sessionId: string): string {
  const head =
    `Workflow: this task runs in ${mode} mode, ENFORCED by the kernel (workflow session ${sessionId}, now in state ${state}). ` +
    "After you run the project's tests with exec, the kernel runs them again in a clean sandbox and moves the session when its guards pass; " +
    'the outcome is appended to the exec result as "[workflow] ...". workflow.status shows the state and the legal next steps; refused edits say which guard must pass first.';
  switch (mode) {
    case 'strict':
      return (
        `${head}\nStrict (test-first): 1. write a test that fails (test files, docs and config may be edited in spec; implementation files may not) and run the tests: a failing test moves the session to red. ` +
        '2. Now edit the implementation until that test passes and run the tests: the session turns green only when the watched test passes and nothing else fails. ' +
        '3. Finish: the kernel runs the tests once more and moves the session to review; the patch set is produced only in review.'
      );
    case 'explore':
      return `${head}\nExplore: edit freely. When you finish, the session moves to review and a person reviews the patch set; nothing merges without review.`;
    case 'debug':
      return (
        `${head}\nDebug: 1. reproduce: write a test that reproduces the bug and run it (fails → hypothesise). ` +
        '2. Call workflow.transition with to=fix (or to=instrument to add temporary logging, each such line marked AIRLOCK-INSTRUMENT) and your hypothesis. ' +
        '3. Fix and run the tests (→ verify). 4. Finish: the reproduction must pass, nothing else fail, and no AIRLOCK-INSTRUMENT line remain, or no patch set is produced.'
      );
    default: {
      const never: never = mode;
      return never;
    }
  }
}
