// The workflow as data: every mode's states, its initial state, and each legal transition with the guards it must pass.
import type { GuardName, WorkflowMode, WorkflowState } from '../../../protocol/src/workflow';

export interface TransitionRule {
  from: WorkflowState;
  to: WorkflowState;
  /** All must pass, in order; the first that fails is the refusal's reason. */
  guards: readonly GuardName[];
}

export interface ModeSpec {
  initial: WorkflowState;
  states: readonly WorkflowState[];
  transitions: readonly TransitionRule[];
  /** Higher is stricter: an agent may switch only to an equal or stricter mode; loosening needs a person. */
  strictness: number;
}

const t = (from: WorkflowState, to: WorkflowState, ...guards: GuardName[]): TransitionRule => ({ from, to, guards });
const MERGE: GuardName[] = ['patchApproved', 'withinDebtBudget'];

export const WORKFLOW_TABLE: Readonly<Record<WorkflowMode, ModeSpec>> = {
  // Test-first: a failing test seen in the sandbox, then green, then refactor, review before merge.
  strict: {
    initial: 'spec',
    strictness: 2,
    states: ['spec', 'red', 'green', 'refactor', 'review', 'merged'],
    transitions: [
      t('spec', 'red', 'failingTestSeen'),
      t('spec', 'green', 'tddExempt'),
      t('red', 'spec'),
      t('red', 'green', 'newTestsPass'),
      t('green', 'refactor'),
      t('green', 'review', 'testsPass'),
      t('refactor', 'review', 'testsPass'),
      t('review', 'spec'),
      t('review', 'merged', ...MERGE),
      t('merged', 'spec'),
    ],
  },
  // Free edits; nothing merges without review.
  explore: {
    initial: 'editing',
    strictness: 0,
    states: ['editing', 'review', 'merged'],
    transitions: [t('editing', 'review'), t('review', 'editing'), t('review', 'merged', ...MERGE), t('merged', 'editing')],
  },
  // Reproduce -> hypothesise -> instrument -> fix -> verify; instrumentation removed before merge.
  debug: {
    initial: 'reproduce',
    strictness: 1,
    states: ['reproduce', 'hypothesise', 'instrument', 'fix', 'verify', 'review', 'merged'],
    transitions: [
      t('reproduce', 'hypothesise', 'reproducedFailing'),
      t('hypothesise', 'instrument', 'hypothesisRecorded'),
      t('hypothesise', 'fix', 'hypothesisRecorded'),
      t('instrument', 'hypothesise'),
      t('instrument', 'fix'),
      t('fix', 'hypothesise'),
      t('fix', 'verify'),
      t('verify', 'hypothesise'),
      t('verify', 'review', 'reproPasses', 'instrumentationRemoved'),
      t('review', 'fix'),
      t('review', 'merged', ...MERGE),
      t('merged', 'reproduce'),
    ],
  },
};

export function findRule(mode: WorkflowMode, from: WorkflowState, to: WorkflowState): TransitionRule | undefined {
  return WORKFLOW_TABLE[mode].transitions.find((r) => r.from === from && r.to === to);
}

export function rulesFrom(mode: WorkflowMode, from: WorkflowState): TransitionRule[] {
  return WORKFLOW_TABLE[mode].transitions.filter((r) => r.from === from);
}

/** Tag every debug-only line with this marker; verify -> review refuses a change that still adds one. */
export const INSTRUMENT_MARKER = 'AIRLOCK-INSTRUMENT';
