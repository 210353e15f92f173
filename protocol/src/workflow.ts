// Workflow state machine wire types: modes, states, guard failures, evidence and session snapshots (zod first).
import { z } from 'zod';

export const WorkflowMode = z.enum(['strict', 'explore', 'debug']);
export type WorkflowMode = z.infer<typeof WorkflowMode>;

/** Every state of every mode; which ones a mode uses is data in kernel/src/workflow/table.ts. */
export const WorkflowState = z.enum([
  // strict (test-first)
  'spec',
  'red',
  'green',
  'refactor',
  // explore
  'editing',
  // debug
  'reproduce',
  'hypothesise',
  'instrument',
  'fix',
  'verify',
  // shared tail
  'review',
  'merged',
]);
export type WorkflowState = z.infer<typeof WorkflowState>;

export const Actor = z.enum(['agent', 'person', 'kernel']);
export type Actor = z.infer<typeof Actor>;

export const GuardName = z.enum([
  'failingTestSeen',
  'newTestsPass',
  'testsPass',
  'tddExempt',
  'hypothesisRecorded',
  'reproducedFailing',
  'reproPasses',
  'instrumentationRemoved',
  'patchApproved',
  'withinDebtBudget',
]);
export type GuardName = z.infer<typeof GuardName>;

export const ExemptionKind = z.enum(['docs-only', 'config', 'generated', 'waiver']);
export type ExemptionKind = z.infer<typeof ExemptionKind>;

/** What the caller brings to a transition; guards read only what they need and fail closed when it is missing. */
export const TransitionEvidence = z
  .object({
    /** Workspace-relative paths the change touches (for TDD exemptions and instrumentation checks). */
    changedFiles: z.array(z.string().max(4096)).max(10_000).optional(),
    /** Lines the change adds, for the instrumentation-removed check (debug mode). */
    addedLines: z.array(z.string().max(10_000)).max(100_000).optional(),
    hypothesis: z.string().max(10_000).optional(),
    patchSetId: z.string().max(128).optional(),
    /** A person's explicit waiver of test-first for this change. */
    waiver: z.object({ reason: z.string().min(1).max(2000) }).optional(),
    /** Line coverage in percent before and after the change (the tech-debt budget). */
    coverage: z.object({ before: z.number().min(0).max(100), after: z.number().min(0).max(100) }).optional(),
    /** A person accepts a coverage drop beyond the budget (only honoured from actor "person"). */
    acceptDebt: z.boolean().optional(),
  })
  .strict();
export type TransitionEvidence = z.infer<typeof TransitionEvidence>;

export const GuardFailure = z.object({ guard: GuardName, reason: z.string() });
export type GuardFailure = z.infer<typeof GuardFailure>;

export const DebtBudget = z.object({
  /** Total coverage points a session may lose before changes are held for review. */
  /** null: the policy disabled the budget. */
  limitPct: z.number().nullable(),
  usedPct: z.number(),
  remainingPct: z.number().nullable(),
  /** A change held for review because it would exceed the budget, with the numbers. */
  held: z
    .object({ before: z.number().nullable(), after: z.number().nullable(), dropPct: z.number().nullable(), reason: z.string() })
    .nullable(),
});
export type DebtBudget = z.infer<typeof DebtBudget>;

export const TransitionRecord = z.object({
  seq: z.number().int(),
  sessionId: z.string(),
  kind: z.enum(['create', 'transition', 'mode', 'refused']),
  mode: WorkflowMode,
  from: WorkflowState.nullable(),
  to: WorkflowState,
  actor: Actor,
  detail: z.record(z.string(), z.unknown()),
  at: z.number(),
  hash: z.string(),
});
export type TransitionRecord = z.infer<typeof TransitionRecord>;

export const SessionSnapshot = z.object({
  id: z.string(),
  mode: WorkflowMode,
  state: WorkflowState,
  version: z.number().int(),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** Failing tests seen at red (strict) or the reproduction (debug), which must pass later. */
  watchedTests: z.array(z.string()),
  exemption: z.object({ kind: ExemptionKind, reason: z.string() }).nullable(),
  budget: DebtBudget,
  /** Transitions legal from here, each with its guards (for UIs and for telling the agent). */
  next: z.array(z.object({ to: WorkflowState, guards: z.array(GuardName) })),
});
export type SessionSnapshot = z.infer<typeof SessionSnapshot>;
