// The workflow service: sessions in a mode, guarded transitions from the table, mode switches; audited, then persisted.
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import type {
  Actor,
  SessionSnapshot,
  TransitionEvidence,
  TransitionRecord,
  WorkflowMode,
  WorkflowState,
} from '../../../protocol/src/workflow';
import { type AuditSource, recordThenAct, recordThenActNow } from '../audit/record';
import { workflowAuditEntry } from './audit-entry';
import { ExemptionPolicy } from './exemptions';
import { type GuardEnv, type IPatchApprovals, runGuards, type SessionData } from './guards';
import { type NewTransition, WorkflowStore, type SessionRow } from './store';
import { findRule, rulesFrom, WORKFLOW_TABLE } from './table';
import type { ITestRunner, TestRunResult } from './test-runner';

export interface WorkflowOptions {
  /** SQLite file, e.g. `<stateDir>/workflow.db`. */
  dbPath: string;
  /**
   * The audit log every change is recorded in before it is stored (`workflow.change`). Required: absent, or a log that
   * cannot write, and the change is refused with the log's error.
   */
  audit: AuditSource;
  /** Runs the project's tests in a sandbox; without it every test guard fails closed. */
  runner?: ITestRunner;
  approvals?: IPatchApprovals;
  exemptions?: Partial<ExemptionPolicy>;
  /** Coverage points a session may lose before merges are held; null disables the budget. Default 2. */
  debtLimitPct?: number | null;
  now?: () => number;
}

const EMPTY_DATA: SessionData = { watchedTests: [], exemption: null, debtUsedPct: 0, held: null };

export class WorkflowService extends Disposable {
  private readonly store: WorkflowStore;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly exemptions: ExemptionPolicy;
  private readonly debtLimitPct: number | null;
  private readonly now: () => number;
  private readonly _onDidChange = this._register(new Emitter<{ session: SessionSnapshot; record: TransitionRecord }>());
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly options: WorkflowOptions) {
    super();
    this.store = this._register(new WorkflowStore(options.dbPath));
    this.exemptions = ExemptionPolicy.parse(options.exemptions ?? {});
    this.debtLimitPct = options.debtLimitPct === undefined ? 2 : options.debtLimitPct;
    this.now = options.now ?? Date.now;
  }

  /** The exemption globs in force (and the test-file globs the task edit rules use). */
  get exemptionPolicy(): ExemptionPolicy {
    return this.exemptions;
  }

  /** The test runner the guards use (a SandboxTestRunner when the kernel has a container engine). */
  get runner(): ITestRunner | undefined {
    return this.options.runner;
  }

  create(sessionId: string, mode: WorkflowMode, actor: Actor = 'kernel'): SessionSnapshot {
    const t = this.creation(sessionId, mode, actor);
    // Synchronous for its callers: the entry joins the chain before the row is written, and an absent, closed or
    // damaged log refuses it. A task's start uses createDurable, which also waits for the disk.
    return recordThenActNow(this.options.audit, workflowAuditEntry(t), () => this.commit(t));
  }

  /** The same, after the entry is durable: a failed disk write refuses the session too. */
  createDurable(sessionId: string, mode: WorkflowMode, actor: Actor = 'kernel'): Promise<SessionSnapshot> {
    const t = this.creation(sessionId, mode, actor);
    return recordThenAct(this.options.audit, workflowAuditEntry(t), () => this.commit(t));
  }

  private creation(sessionId: string, mode: WorkflowMode, actor: Actor): NewTransition {
    if (this.store.get(sessionId)) throw new AirlockError('WORKFLOW_SESSION_EXISTS', `workflow session ${sessionId} already exists`);
    return {
      sessionId,
      kind: 'create',
      mode,
      from: null,
      to: WORKFLOW_TABLE[mode].initial,
      actor,
      detail: { data: EMPTY_DATA },
      at: this.now(),
    };
  }

  get(sessionId: string): SessionSnapshot {
    return this.snapshot(this.row(sessionId));
  }

  list(): SessionSnapshot[] {
    return this.store.all().map((s) => this.snapshot(s));
  }

  history(sessionId: string | undefined, limit = 50): TransitionRecord[] {
    return this.store.history(sessionId, limit);
  }

  /** Moves a session along the table if every guard passes; otherwise records the refusal and throws it (the agent is told why). */
  transition(
    sessionId: string,
    to: WorkflowState,
    evidence: TransitionEvidence,
    actor: Actor,
    signal: AbortSignal,
  ): Promise<SessionSnapshot> {
    return this.locked(sessionId, async () => {
      const s = this.row(sessionId);
      const rule = findRule(s.mode, s.state, to);
      if (!rule) {
        const legal = rulesFrom(s.mode, s.state).map((r) => r.to);
        const reason = `${s.mode} mode has no transition ${s.state} -> ${to}`;
        await this.record({
          sessionId,
          kind: 'refused',
          mode: s.mode,
          from: s.state,
          to: s.state,
          actor,
          detail: { data: s.data, attempted: to, reason },
          at: this.now(),
        });
        throw new AirlockError(
          'WORKFLOW_ILLEGAL_TRANSITION',
          reason,
          legal.length ? `from ${s.state} you may go to: ${legal.join(', ')}` : undefined,
          { from: s.state, to, legal },
        );
      }
      let run: Promise<TestRunResult> | undefined;
      const env: GuardEnv = {
        session: s.data,
        evidence,
        actor,
        signal,
        approvals: this.options.approvals,
        exemptions: this.exemptions,
        debtLimitPct: this.debtLimitPct,
        tests: () =>
          (run ??= this.options.runner
            ? this.options.runner.run(signal, { sessionId })
            : Promise.reject(new AirlockError('WORKFLOW_NO_TEST_RUNNER', 'no sandboxed test runner is configured'))),
      };
      const out = await runGuards(rule.guards, env);
      if (signal.aborted) throw AirlockError.from(signal.reason, ErrorCodes.Cancelled);
      if (!out.ok) {
        const data = { ...s.data, ...out.effects };
        await this.record({
          sessionId,
          kind: 'refused',
          mode: s.mode,
          from: s.state,
          to: s.state,
          actor,
          detail: { data, attempted: to, guard: out.guard, reason: out.reason },
          at: this.now(),
        });
        throw new AirlockError('WORKFLOW_GUARD_FAILED', `${s.state} -> ${to} refused by guard ${out.guard}: ${out.reason}`, undefined, {
          guard: out.guard,
          reason: out.reason,
        });
      }
      let data: SessionData = { ...s.data, ...out.effects };
      // A new cycle starts clean: nothing watched, no exemption carried over (the debt budget is per session).
      if (to === WORKFLOW_TABLE[s.mode].initial) data = { ...data, watchedTests: [], exemption: null };
      return this.record({
        sessionId,
        kind: 'transition',
        mode: s.mode,
        from: s.state,
        to,
        actor,
        detail: { data, guards: [...rule.guards], notes: out.notes, evidence: summarise(evidence) },
        at: this.now(),
      });
    });
  }

  /** Switches mode (restarting at its initial state). An agent may only tighten; loosening needs a person. */
  setMode(sessionId: string, mode: WorkflowMode, reason: string, actor: Actor): Promise<SessionSnapshot> {
    return this.locked(sessionId, async () => {
      const s = this.row(sessionId);
      if (actor !== 'person' && WORKFLOW_TABLE[mode].strictness < WORKFLOW_TABLE[s.mode].strictness) {
        throw new AirlockError(
          'WORKFLOW_MODE_LOOSENING',
          `only a person can switch from ${s.mode} to the less strict ${mode} mode`,
          'ask the person to switch the mode',
        );
      }
      const data: SessionData = { ...s.data, watchedTests: [], exemption: null };
      return this.record({
        sessionId,
        kind: 'mode',
        mode,
        from: s.state,
        to: WORKFLOW_TABLE[mode].initial,
        actor,
        detail: { data, fromMode: s.mode, reason },
        at: this.now(),
      });
    });
  }

  /** Record, then act: the durable audit entry first; when it cannot be written the session stays as it was. */
  private record(t: NewTransition): Promise<SessionSnapshot> {
    return recordThenAct(this.options.audit, workflowAuditEntry(t), () => this.commit(t));
  }

  private commit(t: NewTransition): SessionSnapshot {
    const { record, session } = this.store.append(t);
    const snap = this.snapshot(session);
    this._onDidChange.fire({ session: snap, record });
    return snap;
  }

  private row(id: string): SessionRow {
    const s = this.store.get(id);
    if (!s) throw new AirlockError('WORKFLOW_NO_SESSION', `no workflow session ${id}`, '`airlock mode` lists the sessions');
    return s;
  }

  /** One transition at a time per session: guards are async, and the state they checked must still hold when recorded. */
  private locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return next;
  }

  private snapshot(s: SessionRow): SessionSnapshot {
    const limit = this.debtLimitPct;
    return {
      id: s.id,
      mode: s.mode,
      state: s.state,
      version: s.version,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      watchedTests: [...s.data.watchedTests],
      exemption: s.data.exemption,
      budget: {
        limitPct: limit,
        usedPct: s.data.debtUsedPct,
        remainingPct: limit === null ? null : Math.max(0, Math.round((limit - s.data.debtUsedPct) * 1000) / 1000),
        held: s.data.held,
      },
      next: rulesFrom(s.mode, s.state).map((r) => ({ to: r.to, guards: [...r.guards] })),
    };
  }
}

/** What of the evidence goes into the chained record (not the full line lists). */
function summarise(e: TransitionEvidence): Record<string, unknown> {
  return {
    ...(e.changedFiles ? { changedFiles: e.changedFiles.slice(0, 50), changedFileCount: e.changedFiles.length } : {}),
    ...(e.patchSetId ? { patchSetId: e.patchSetId } : {}),
    ...(e.hypothesis ? { hypothesis: e.hypothesis } : {}),
    ...(e.waiver ? { waiver: e.waiver } : {}),
    ...(e.coverage ? { coverage: e.coverage } : {}),
    ...(e.acceptDebt ? { acceptDebt: true } : {}),
  };
}
