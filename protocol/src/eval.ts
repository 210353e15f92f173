// `airlock eval` schemas: a task's task.yaml, one task run's measurements, and results.json (the whole suite's report).
import { z } from 'zod';
import { AgentMode, TaskStatus } from './agent';

/** A task folder's name and id: what results, replays and report rows are keyed by. */
export const EvalTaskId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and dashes, at most 64');

/**
 * task.yaml. `check` is a shell command (`sh -c`) run in a code-executor sandbox on the merged result; the agent never
 * sees it (only task.md and repo/ reach the workspace). `expect`: `pass` (default) succeeds when the check exits 0;
 * `stop` and `fail` are for tasks that need something the policy denies: the check must still exit 0 (it asserts the
 * denied action left no trace), and `fail` also needs the task to end without completing (failed or over budget).
 */
export const EvalTask = z
  .object({
    id: EvalTaskId,
    title: z.string().min(1).max(200),
    language: z.enum(['javascript', 'typescript', 'python', 'shell']),
    kind: z.enum(['bug-fix', 'add-test', 'refactor', 'build-fix', 'feature', 'denied-action']),
    /** The mode the task runs in unless `--mode` says otherwise (else the configured mode). */
    mode: AgentMode.optional(),
    limits: z
      .object({
        /** Wall time of the agent's run; the task is cancelled after it (the check has its own limit). */
        timeoutSeconds: z.number().int().positive().max(3600).default(300),
        maxTokens: z.number().int().positive().optional(),
        maxCostUsd: z.number().positive().optional(),
        maxTurns: z.number().int().positive().max(1000).optional(),
      })
      .strict()
      .default({ timeoutSeconds: 300 }),
    check: z.string().min(1).max(8192),
    checkTimeoutSeconds: z.number().int().positive().max(1800).default(120),
    expect: z.enum(['pass', 'stop', 'fail']).default('pass'),
    /** How approvals asked during the run are answered: deny (default, no person is there) or allow. */
    approvals: z.enum(['deny', 'allow']).default('deny'),
  })
  .strict();
export type EvalTask = z.infer<typeof EvalTask>;

/** The check's outcome: its exit status and the end of its output (capped; the report escapes it). */
export const EvalCheck = z.object({
  exitCode: z.number().int().nullable(),
  timedOut: z.boolean(),
  output: z.string().max(4096),
});
export type EvalCheck = z.infer<typeof EvalCheck>;

/** One run of one task. Cost is null when the kernel knows no price for the model (it then counts $0). */
export const EvalRun = z.object({
  task: EvalTaskId,
  attempt: z.number().int().positive(),
  success: z.boolean(),
  /** The agent task's end, or `error` when the run could not be carried out (the message says why). */
  status: z.union([TaskStatus, z.literal('error')]),
  message: z.string().max(4096),
  check: EvalCheck.nullable(),
  tokensIn: z.number().int().nonnegative(),
  tokensOut: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative().nullable(),
  wallMs: z.number().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  denials: z.number().int().nonnegative(),
  approvalsAsked: z.number().int().nonnegative(),
  filesChanged: z.number().int().nonnegative(),
  /** The replay file this run was recorded to (--record). */
  recorded: z.string().optional(),
});
export type EvalRun = z.infer<typeof EvalRun>;

/** Sums and means over a set of runs (one task's repeats, or the whole suite). */
export const EvalAggregate = z.object({
  runs: z.number().int().nonnegative(),
  successes: z.number().int().nonnegative(),
  successRate: z.number().min(0).max(1),
  tokensIn: z.number().int().nonnegative(),
  tokensOut: z.number().int().nonnegative(),
  /** Null when any run's cost is unknown. */
  costUsd: z.number().nonnegative().nullable(),
  wallMs: z.number().nonnegative(),
  meanWallMs: z.number().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  denials: z.number().int().nonnegative(),
  approvalsAsked: z.number().int().nonnegative(),
});
export type EvalAggregate = z.infer<typeof EvalAggregate>;

export const EvalTaskSummary = z.object({
  id: EvalTaskId,
  title: z.string(),
  language: EvalTask.shape.language,
  kind: EvalTask.shape.kind,
  expect: EvalTask.shape.expect,
  aggregate: EvalAggregate,
});
export type EvalTaskSummary = z.infer<typeof EvalTaskSummary>;

/** results.json. */
export const EvalReport = z.object({
  version: z.literal(1),
  suite: z.string(),
  provider: z.string(),
  model: z.string().nullable(),
  mode: AgentMode.nullable(),
  repeat: z.number().int().positive(),
  startedAt: z.string(),
  finishedAt: z.string(),
  tasks: z.array(EvalTaskSummary),
  runs: z.array(EvalRun),
  aggregate: EvalAggregate,
});
export type EvalReport = z.infer<typeof EvalReport>;

/** Sums and means over runs: the per-task rows and the suite's total use the same arithmetic. */
export function aggregate(runs: readonly EvalRun[]): EvalAggregate {
  const sum = (f: (r: EvalRun) => number) => runs.reduce((s, r) => s + f(r), 0);
  const successes = runs.filter((r) => r.success).length;
  const wallMs = sum((r) => r.wallMs);
  return {
    runs: runs.length,
    successes,
    successRate: runs.length ? successes / runs.length : 0,
    tokensIn: sum((r) => r.tokensIn),
    tokensOut: sum((r) => r.tokensOut),
    costUsd: runs.some((r) => r.costUsd === null) ? null : sum((r) => r.costUsd ?? 0),
    wallMs,
    meanWallMs: runs.length ? wallMs / runs.length : 0,
    toolCalls: sum((r) => r.toolCalls),
    denials: sum((r) => r.denials),
    approvalsAsked: sum((r) => r.approvalsAsked),
  };
}
