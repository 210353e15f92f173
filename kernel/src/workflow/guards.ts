// Guard implementations, one per GuardName: each reads the evidence and the session and says pass, or why not.
import { AirlockError } from '../../../protocol/src/errors';
import type { Actor, DebtBudget, ExemptionKind, GuardName, TransitionEvidence } from '../../../protocol/src/workflow';
import { decideDebt, decideExemption, type ExemptionPolicy } from './exemptions';
import { INSTRUMENT_MARKER } from './table';
import type { TestRunResult } from './test-runner';

/** What a session carries between transitions (persisted with every transition row). */
export interface SessionData {
  watchedTests: string[];
  exemption: { kind: ExemptionKind; reason: string } | null;
  debtUsedPct: number;
  held: DebtBudget['held'];
}

/** Review decisions live in the patches module; the guard only asks. */
export interface IPatchApprovals {
  isApproved(patchSetId: string, signal: AbortSignal): Promise<boolean>;
}

export interface GuardEnv {
  readonly session: SessionData;
  readonly evidence: TransitionEvidence;
  readonly actor: Actor;
  readonly signal: AbortSignal;
  /** One sandboxed test run per transition attempt, shared by its guards. */
  tests(): Promise<TestRunResult>;
  readonly approvals?: IPatchApprovals;
  readonly exemptions: ExemptionPolicy;
  readonly debtLimitPct: number | null;
}

export type GuardOutcome =
  { ok: true; effects?: Partial<SessionData>; note?: string } | { ok: false; reason: string; effects?: Partial<SessionData> };

const fail = (reason: string, effects?: Partial<SessionData>): GuardOutcome => ({ ok: false, reason, effects });
const names = (xs: string[]): string => xs.slice(0, 5).join(', ') + (xs.length > 5 ? `, ... (${xs.length})` : '');

async function failingSeen(env: GuardEnv, what: string): Promise<GuardOutcome> {
  const run = await env.tests();
  const failing = run.tests.filter((x) => x.status === 'failed').map((x) => x.name);
  if (run.failed === 0) return fail(`no failing test in the sandbox run (${run.passed} passed): ${what}`);
  if (!failing.length)
    return fail(
      `${run.failed} failing, but the ${run.runner} output does not name them, so they cannot be watched: use a reporter that names tests`,
    );
  return { ok: true, effects: { watchedTests: failing }, note: `${failing.length} failing: ${names(failing)}` };
}

async function watchedNowPass(env: GuardEnv): Promise<GuardOutcome> {
  const watched = env.session.watchedTests;
  if (!watched.length) return fail('no failing test was recorded earlier, so there is nothing to turn green');
  const run = await env.tests();
  const status = new Map(run.tests.map((x) => [x.name, x.status]));
  const missing = watched.filter((n) => !status.has(n));
  const notPassing = watched.filter((n) => status.has(n) && status.get(n) !== 'passed');
  if (missing.length) return fail(`the tests seen failing are gone from the run (deleted or renamed?): ${names(missing)}`);
  if (notPassing.length) return fail(`still not passing: ${names(notPassing)}`);
  if (run.failed > 0) return fail(`the watched tests pass but ${run.failed} other test(s) fail`);
  return { ok: true, effects: { watchedTests: [] }, note: `${watched.length} watched test(s) now pass, ${run.passed} passed in all` };
}

export const GUARDS: Readonly<Record<GuardName, (env: GuardEnv) => Promise<GuardOutcome>>> = {
  failingTestSeen: (env) => failingSeen(env, 'write a test that fails before implementing'),
  reproducedFailing: (env) => failingSeen(env, 'write a test that reproduces the bug first'),
  newTestsPass: watchedNowPass,
  reproPasses: watchedNowPass,
  testsPass: async (env) => {
    const run = await env.tests();
    if (run.failed > 0)
      return fail(`${run.failed} test(s) fail: ${names(run.tests.filter((x) => x.status === 'failed').map((x) => x.name))}`);
    if (run.passed === 0) return fail('no test ran: the run passed vacuously');
    return { ok: true, note: `${run.passed} passed` };
  },
  tddExempt: async (env) => {
    const d = decideExemption(env.exemptions, env.evidence, env.actor);
    return d.ok
      ? { ok: true, effects: { exemption: { kind: d.kind, reason: d.reason } }, note: `exempt (${d.kind}): ${d.reason}` }
      : fail(d.reason);
  },
  hypothesisRecorded: async (env) => {
    const h = env.evidence.hypothesis?.trim();
    return h
      ? { ok: true, note: `hypothesis: ${h.slice(0, 200)}` }
      : fail('state the hypothesis (evidence.hypothesis) before instrumenting or fixing');
  },
  instrumentationRemoved: async (env) => {
    const added = env.evidence.addedLines;
    if (!added) return fail("the change's added lines are needed to check that instrumentation is removed");
    const left = added.filter((l) => l.includes(INSTRUMENT_MARKER));
    return left.length
      ? fail(
          `${left.length} instrumentation line(s) still in the change (marked ${INSTRUMENT_MARKER}): ${names(left.map((l) => l.trim()))}`,
        )
      : { ok: true };
  },
  patchApproved: async (env) => {
    const id = env.evidence.patchSetId;
    if (!id) return fail('no patch set named (evidence.patchSetId)');
    if (!env.approvals) return fail('no review service is connected, so no approval can be checked');
    return (await env.approvals.isApproved(id, env.signal))
      ? { ok: true, note: `patch set ${id} approved` }
      : fail(`patch set ${id} is not approved by a person`);
  },
  withinDebtBudget: async (env) => {
    const d = decideDebt(env.debtLimitPct, env.session.debtUsedPct, env.evidence, env.actor);
    return d.ok ? { ok: true, effects: { debtUsedPct: d.usedPct, held: null }, note: d.note } : fail(d.reason, { held: d.held });
  },
};

/** Runs a rule's guards in order; the first failure (or error, failing closed) is the answer. */
export async function runGuards(
  guards: readonly GuardName[],
  env: GuardEnv,
): Promise<
  | { ok: true; effects: Partial<SessionData>; notes: string[] }
  | { ok: false; guard: GuardName; reason: string; effects?: Partial<SessionData> }
> {
  let effects: Partial<SessionData> = {};
  const notes: string[] = [];
  for (const g of guards) {
    let out: GuardOutcome;
    try {
      out = await GUARDS[g]({ ...env, session: { ...env.session, ...effects } });
    } catch (err) {
      if (env.signal.aborted) throw err;
      const e = AirlockError.from(err);
      out = fail(`${e.code}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`);
    }
    if (!out.ok) return { ok: false, guard: g, reason: out.reason, effects: out.effects };
    effects = { ...effects, ...out.effects };
    if (out.note) notes.push(`${g}: ${out.note}`);
  }
  return { ok: true, effects, notes };
}
