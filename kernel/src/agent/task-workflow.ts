// A task's workflow session: created or resumed at start, consulted before edits (gate), moved after test runs and by
// the workflow.* tools, taken to review before a patch set; every transition and refusal is audited and streamed.
import { z } from 'zod';
import type { TaskEvent, WorkflowTaskEvent } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import type { IDisposable } from '../../../protocol/src/lifecycle';
import { GuardName, type SessionSnapshot, type TransitionEvidence, type WorkflowMode, WorkflowState } from '../../../protocol/src/workflow';
import type { IAuditLog } from '../../../core/src/audit/types';
import type { WorkflowService } from '../workflow/machine';
import { SandboxTestRunner } from '../workflow/sandbox-test-runner';
import { WORKFLOW_TABLE } from '../workflow/table';
import { editVerdict, fileClassifier, type FileClass, GUARD_HINTS, modeInstructions, ON_TEST_RUN, TO_REVIEW } from '../workflow/task-rules';
import type { GateCall, GateVerdict, IToolGate } from './interfaces';
import type { Sanitiser } from './sanitise';
import { addedLines, changedFiles } from './task-changes';
import { isTestCommand } from './task-sandbox';
import type { TaskVolume } from './task-volume';
import { defineTool, type ToolSpec } from './tools/types';

export interface TaskWorkflowDeps {
  workflow: WorkflowService;
  audit: IAuditLog;
  sanitiser: Sanitiser;
  taskId: string;
  workspace: string;
  emit: (e: TaskEvent) => void;
}

type Moved = { ok: true; session: SessionSnapshot; note: string } | { ok: false; guard?: GuardName; reason: string };

/** The test-first step of each mode: it needs the implementation untouched. */
const TEST_FIRST: Partial<Record<WorkflowMode, { from: WorkflowState; to: WorkflowState; guard: GuardName }>> = {
  strict: { from: 'spec', to: 'red', guard: 'failingTestSeen' },
  debug: { from: 'reproduce', to: 'hypothesise', guard: 'reproducedFailing' },
};

/** How often the agent is told it cannot finish before the task ends without a patch set. */
const FINISH_REFUSALS = 3;

export class TaskWorkflow implements IToolGate {
  private tv?: TaskVolume;
  private readonly classify: (rel: string) => FileClass;
  private finishRefusals = 0;
  /** Why the session could not reach review at finish (then no patch set is produced). */
  blocked?: string;

  private constructor(
    private readonly d: TaskWorkflowDeps,
    private session: SessionSnapshot,
  ) {
    this.classify = fileClassifier(d.workflow.exemptionPolicy);
  }

  get sessionId(): string {
    return this.session.id;
  }
  get mode(): WorkflowMode {
    return this.session.mode;
  }
  get state(): WorkflowState {
    return this.session.state;
  }

  /**
   * The task's session: a new one (id = task id) in the task's mode, or an existing one resumed in its persisted state.
   * A resumed session whose last change is finished (review, merged) starts a new cycle; a different `mode` asked by
   * the person at task/start switches it (recorded as the person's switch).
   */
  static async open(d: TaskWorkflowDeps, o: { sessionId?: string; mode: WorkflowMode }, signal: AbortSignal): Promise<TaskWorkflow> {
    const wf = d.workflow;
    let s: SessionSnapshot;
    const resumed = !!o.sessionId;
    if (o.sessionId) {
      s = wf.get(o.sessionId);
      if (s.mode !== o.mode) s = await wf.setMode(s.id, o.mode, `task ${d.taskId} was started in ${o.mode} mode`, 'person');
      if (s.state === 'review' || s.state === 'merged') {
        const spec = WORKFLOW_TABLE[s.mode];
        const rule =
          spec.transitions.find((r) => r.from === s.state && r.to === spec.initial) ??
          spec.transitions.find((r) => r.from === s.state && !r.guards.length && r.to !== 'merged');
        if (rule) s = await wf.transition(s.id, rule.to, {}, 'kernel', signal);
      }
    } else {
      s = await wf.createDurable(d.taskId, o.mode, 'kernel');
    }
    const t = new TaskWorkflow(d, s);
    await t.record('workflow.start', { sessionId: s.id, mode: s.mode, state: s.state, resumed, version: s.version });
    t.event({ change: resumed ? 'resume' : 'start' });
    return t;
  }

  /** Guard test runs read this task's output volume (its edits), not the read-only workspace. */
  attach(tv: TaskVolume): IDisposable {
    this.tv = tv;
    const runner = this.d.workflow.runner;
    return runner instanceof SandboxTestRunner ? runner.setSessionVolume(this.session.id, tv.vol.volumeName) : { dispose() {} };
  }

  instructions(): string {
    return modeInstructions(this.mode, this.state, this.sessionId);
  }

  /** workflow.status and workflow.transition: kernel operations the gate vouches for (no policy rule applies). */
  tools(): ToolSpec[] {
    const status = defineTool({
      name: 'workflow.status',
      native: false,
      capabilities: [],
      description: "Show the task's workflow session: mode, state, tests being watched, and the legal next states with their guards.",
      input: z.object({}),
      run: async () => ({ content: this.describe() }),
    });
    const transition = defineTool({
      name: 'workflow.transition',
      native: false,
      capabilities: [],
      description:
        'Ask the kernel to move the workflow session to another state. Its guards decide (test guards run the tests in a clean sandbox); a refusal names the guard and why. Debug mode: give your hypothesis to go from hypothesise to fix or instrument.',
      input: z.object({ to: WorkflowState, hypothesis: z.string().max(10_000).optional() }),
      run: async (i, ctx) => {
        const r = await this.move(i.to, await this.evidence({ hypothesis: i.hypothesis }), ctx.signal);
        if (!r.ok)
          throw new AirlockError(
            'WORKFLOW_GUARD_FAILED',
            `${this.state} -> ${i.to} refused${r.guard ? ` by guard ${r.guard}` : ''}: ${r.reason}`,
            r.guard ? GUARD_HINTS[r.guard] : `legal next states: ${this.session.next.map((n) => n.to).join(', ') || 'none'}`,
          );
        return { content: `${r.note}\n${this.describe()}` };
      },
    });
    return [status, transition];
  }

  async before(call: GateCall): Promise<GateVerdict> {
    if (call.tool === 'workflow.status' || call.tool === 'workflow.transition')
      return { type: 'kernel', reason: "workflow tool: the session's guards decide" };
    if (!call.capabilities.includes('fs.write')) return { type: 'pass' };
    for (const p of call.paths) {
      const v = editVerdict(this.mode, this.state, this.classify(p));
      if (v.ok) continue;
      const reason = `${this.mode} mode, state ${this.state}: editing ${p} (${this.classify(p)} file) is refused${v.guard ? ` until guard ${v.guard} passes` : ''}: ${v.reason}`;
      await this.record('workflow.refused', {
        sessionId: this.sessionId,
        mode: this.mode,
        state: this.state,
        tool: call.tool,
        callId: call.callId,
        paths: call.paths,
        guard: v.guard ?? null,
        reason,
        hint: v.hint,
      });
      this.event({ change: 'blocked', guard: v.guard, reason, paths: call.paths });
      return {
        type: 'refuse',
        error: new AirlockError('WORKFLOW_EDIT_REFUSED', reason, v.hint, { guard: v.guard, state: this.state, mode: this.mode }),
      };
    }
    return { type: 'pass' };
  }

  /** After the agent ran the tests, the kernel asks for the test-run transition (its guard reruns them in a sandbox). */
  async after(call: GateCall, result: { ok: boolean }, signal: AbortSignal): Promise<string | undefined> {
    if (call.tool !== 'exec' || !result.ok || !isTestCommand((call.input as { argv?: string[] }).argv ?? [])) return undefined;
    const to = ON_TEST_RUN[this.mode][this.state];
    if (!to) return `[workflow] ${this.mode} mode, state ${this.state} (no test-run transition from here)`;
    const from = this.state;
    const r = await this.move(to, await this.evidence({}), signal);
    return r.ok
      ? `[workflow] ${from} -> ${to}: ${r.note}. ${nextStep(this.mode, to)}`
      : `[workflow] still in ${from}: ${from} -> ${to} refused${r.guard ? ` by guard ${r.guard}` : ''}: ${r.reason}. ${r.guard ? GUARD_HINTS[r.guard] : ''}`.trim();
  }

  /**
   * Before the model may finish: with changes, the session must reach review (the kernel takes the steps, guards run).
   * A refusal is told to the model; after a few, the task ends and `blocked` says why (no patch set).
   */
  async beforeFinish(signal: AbortSignal): Promise<string | undefined> {
    if (!this.tv || !(await changedFiles(this.tv, this.d.workspace, signal)).length) return undefined;
    const path = TO_REVIEW[this.mode][this.state];
    let refusal: string;
    if (!path) {
      refusal = `the session is in ${this.state}, from where there is no way to review in ${this.mode} mode. ${this.state === 'red' ? GUARD_HINTS.newTestsPass : this.state === 'hypothesise' ? GUARD_HINTS.hypothesisRecorded : 'workflow.status shows the next steps'}`;
    } else {
      refusal = '';
      for (const to of path) {
        const from = this.state;
        const r = await this.move(to, await this.evidence({}), signal);
        if (!r.ok) {
          refusal = `${from} -> ${to} refused${r.guard ? ` by guard ${r.guard}` : ''}: ${r.reason}. ${r.guard ? GUARD_HINTS[r.guard] : ''}`;
          break;
        }
      }
      if (!refusal) return undefined;
    }
    this.blocked = refusal;
    if (++this.finishRefusals >= FINISH_REFUSALS) return undefined;
    return `[workflow] You cannot finish yet: a patch set is produced only once the workflow session reaches review. ${refusal}`.trim();
  }

  /** A patch set may be produced: the session reached review (or nothing changed). */
  get readyForPatch(): boolean {
    return this.state === 'review';
  }

  private async evidence(extra: Pick<TransitionEvidence, 'hypothesis'>): Promise<TransitionEvidence> {
    if (!this.tv) return { ...extra };
    const files = await changedFiles(this.tv, this.d.workspace);
    return { ...extra, changedFiles: files, addedLines: await addedLines(this.tv, this.d.workspace, files) };
  }

  private async move(to: WorkflowState, evidence: TransitionEvidence, signal: AbortSignal): Promise<Moved> {
    const from = this.state;
    // A failing test counts only against the unchanged implementation: fs edits are gated, but a command could have
    // written implementation files before red (or before the reproduction) was seen.
    const first = TEST_FIRST[this.mode];
    if (first && from === first.from && to === first.to) {
      const touched = (evidence.changedFiles ?? []).filter((f) => this.classify(f) === 'implementation');
      if (touched.length) {
        const reason = `implementation files were changed (by a command) before a failing test was seen: ${touched.slice(0, 5).join(', ')}; restore them (e.g. git checkout -- FILE) and run the tests again`;
        await this.record('workflow.refused', {
          sessionId: this.sessionId,
          mode: this.mode,
          from,
          to,
          guard: first.guard,
          code: 'WORKFLOW_EDIT_REFUSED',
          reason,
          paths: touched,
        });
        this.event({ change: 'refused', from, to, guard: first.guard, reason, paths: touched });
        return { ok: false, guard: first.guard, reason };
      }
    }
    try {
      this.session = await this.d.workflow.transition(this.sessionId, to, evidence, 'agent', signal);
    } catch (err) {
      if (signal.aborted) throw err;
      const e = AirlockError.from(err);
      const details = (e.details ?? {}) as { guard?: GuardName };
      const guard = GuardName.safeParse(details.guard).success ? details.guard : undefined;
      const reason = guard ? ((e.details as { reason?: string }).reason ?? e.message) : `${e.message}${e.hint ? ` (${e.hint})` : ''}`;
      this.session = this.d.workflow.get(this.sessionId);
      await this.record('workflow.refused', {
        sessionId: this.sessionId,
        mode: this.mode,
        from,
        to,
        guard: guard ?? null,
        code: e.code,
        reason,
      });
      this.event({ change: 'refused', from, to, guard, reason });
      return { ok: false, guard, reason };
    }
    const last = this.d.workflow.history(this.sessionId, 1)[0];
    const notes = (last?.detail.notes as string[] | undefined) ?? [];
    const exemption = this.session.exemption ?? undefined;
    await this.record('workflow.transition', {
      sessionId: this.sessionId,
      mode: this.mode,
      from,
      to,
      guards: last?.detail.guards ?? [],
      notes,
      exemption: exemption ?? null,
      seq: last?.seq,
    });
    this.event({
      change: 'transition',
      from,
      to,
      ...(exemption && to !== WORKFLOW_TABLE[this.mode].initial ? { exemption } : {}),
      reason: notes.join('; ') || undefined,
    });
    return { ok: true, session: this.session, note: notes.join('; ') || 'no guard' };
  }

  private describe(): string {
    const s = this.session;
    const next = s.next.map((n) => `${n.to}${n.guards.length ? ` (guards: ${n.guards.join(', ')})` : ''}`).join('; ') || 'none';
    return `workflow session ${s.id}: ${s.mode} mode, state ${s.state}; watched tests: ${s.watchedTests.join(', ') || 'none'}; next: ${next}`;
  }

  private event(e: Omit<WorkflowTaskEvent, 'type' | 'sessionId' | 'mode' | 'state' | 'next'>): void {
    const s = this.session;
    this.d.emit({ type: 'workflow', sessionId: s.id, mode: s.mode, state: s.state, next: s.next.map((n) => n.to), ...e });
  }

  /** Synchronous audit: the trail has every refusal and transition before the agent hears of it. */
  private async record(action: string, payload: Record<string, unknown>): Promise<void> {
    await this.d.audit.append(
      {
        session: this.d.taskId,
        subject: 'kernel',
        action,
        resource: this.sessionId,
        decision: action === 'workflow.refused' ? 'deny' : null,
        ruleIds: typeof payload.guard === 'string' ? [payload.guard] : [],
        payload: this.d.sanitiser.sanitiseValue(payload),
      },
      { sync: true },
    );
  }
}

function nextStep(mode: WorkflowMode, state: WorkflowState): string {
  if (mode === 'strict' && state === 'red')
    return 'Implementation edits are now accepted: make the failing test pass and run the tests again.';
  if (mode === 'strict' && state === 'green')
    return 'Green: refactor if needed, then finish (the kernel runs the tests again and moves to review).';
  if (mode === 'debug' && state === 'hypothesise')
    return 'Reproduced. Now call workflow.transition with to=fix (or instrument) and your hypothesis.';
  if (mode === 'debug' && state === 'verify') return 'Remove every AIRLOCK-INSTRUMENT line, then finish (the reproduction must pass).';
  return '';
}
