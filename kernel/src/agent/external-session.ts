// One external session (another agent through `airlock mcp serve`): a task without a model. Its calls go through the
// task's router and pipeline; its output volume, sandbox, workflow session and patch set are made by task-run's steps.
import { randomBytes } from 'node:crypto';
import type { ToolDefinition } from '../../../protocol/src/agent';
import { AirlockError, cancelledError, ErrorCodes } from '../../../protocol/src/errors';
import type { IDisposable } from '../../../protocol/src/lifecycle';
import type { ApprovalDecision } from '../../../protocol/src/methods/agent';
import type { ExternalCallOutcome } from '../../../protocol/src/methods/external';
import type { PatchSet } from '../../../protocol/src/patches';
import { recordThenAct } from '../audit/record';
import { patchSource, watchQuota, type OutputVolume } from '../patches/volumes';
import type { ToolPolicyDecision, ToolPolicyRequest } from './interfaces';
import { modelInfo } from './models';
import type { ToolRouter } from './router';
import { TaskPolicy } from './task-policy';
import {
  type Finished,
  hasChanges,
  openOutput,
  prepareWorkspace,
  requireReview,
  type SessionRun,
  taskRouter,
  teardown,
  type Workspace,
} from './task-run';
import type { TaskWorkflow } from './task-workflow';
import { counterFor } from './tokens';

/** A person's answer can wait this long; then the call is refused (a client that never answers must not hang it). */
const APPROVAL_TIMEOUT_MS = 10 * 60_000;

/**
 * TaskPolicy for a session whose client cannot ask its person (no MCP elicitation): an `ask` is a deny that says so,
 * recorded as such, so the trail shows why the call did not run.
 */
export class ExternalPolicy extends TaskPolicy {
  canAsk = false;
  override async evaluate(req: ToolPolicyRequest): Promise<ToolPolicyDecision> {
    const d = await super.evaluate(req);
    if (d.decision !== 'ask' || this.canAsk) return d;
    return {
      ...d,
      decision: 'deny',
      reason:
        `${d.reason} (needs a person's approval, and this MCP client cannot ask its person; ` +
        'approve it in a VS Code or CLI task, or change the policy)',
    };
  }
}

/** A question waiting for the person, and the result of the call that asked it. */
interface Pending {
  resolve: (a: 'allow' | 'deny') => void;
  tool: string;
  input: unknown;
  done: Promise<ExternalCallOutcome>;
}
/** The call in the pipeline now: how it tells its external/call of a question, and its result. */
interface Running {
  notify: (a: Asked) => void;
  done: Promise<ExternalCallOutcome>;
}
type Asked = Extract<ExternalCallOutcome, { type: 'approval' }>;
export interface ExternalClose {
  setId: string | null;
  files: number;
  message: string;
}

/** A new session id: a task id, so volumes, sandboxes, the workflow session and the patch set are keyed like a task's. */
export const externalSessionId = () => `task_mcp_${randomBytes(6).toString('hex')}`;

export class ExternalSession {
  private readonly abort = new AbortController();
  private readonly pending = new Map<string, Pending>();
  /** Calls run one at a time, in the order they came: a write must not interleave with a command or a read. */
  private queue: Promise<unknown> = Promise.resolve();
  private running?: Running;
  private closing?: Promise<ExternalClose>;
  private parts?: { vol: OutputVolume; w: Workspace; router: ToolRouter; quota: IDisposable; attached?: IDisposable };
  private run!: SessionRun;

  constructor(
    readonly id: string,
    readonly client: string,
    private readonly policy: ExternalPolicy,
    readonly mode: string,
  ) {}

  get subject(): string {
    return `mcp:${this.client}`;
  }
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Output volume, sandbox and view, router: task-run's own steps (the sandbox is made on the first command). */
  async start(run: Omit<SessionRun, 't' | 'signal'>, wf: TaskWorkflow | undefined): Promise<void> {
    const t = {
      taskId: this.id,
      policy: this.policy,
      workflow: wf,
      emit: () => undefined,
      approve: this.ask.bind(this),
      log: (level: string, message: string) => process.stderr.write(`${this.id} ${level}: ${run.d.sanitiser.sanitise(message).text}\n`),
    };
    this.run = { ...run, t, signal: this.abort.signal };
    const vol = await openOutput(this.run);
    try {
      const w = await prepareWorkspace(this.run, vol);
      const router = taskRouter(run.d, t, w.tv, counterFor(modelInfo('')), this.subject);
      const quota = watchQuota(vol, (err) => this.abort.abort(err));
      this.parts = { vol, w, router, quota, attached: wf?.attach(w.tv) };
    } catch (err) {
      await teardown(this.run, { type: 'finished', status: 'failed', message: `Session failed: ${(err as Error).message}` }, vol);
      throw err;
    }
  }

  tools(): ToolDefinition[] {
    return this.need().router.definitions();
  }

  /**
   * One call through the task pipeline, after the calls before it; answers early with `approval` when it waits for the
   * person (a call asks at most once: the pipeline's enforce stage), and external/approve gives its result.
   */
  call(tool: string, args: Record<string, unknown>): Promise<ExternalCallOutcome> {
    const { router, w } = this.need();
    if (this.closing) throw new AirlockError('EXTERNAL_SESSION_CLOSED', `session ${this.id} is closing`, 'open a new session');
    const call = { id: `call_${randomBytes(6).toString('hex')}`, name: tool, arguments: JSON.stringify(args) };
    const ctx = { workspace: this.run.d.workspace, taskId: this.id, sandbox: w.sb, output: w.tv, hidden: w.hidden };
    let notify!: (a: Asked) => void;
    const asked = new Promise<Asked>((resolve) => {
      notify = resolve;
    });
    const running: Running = { notify, done: undefined as unknown as Promise<ExternalCallOutcome> };
    running.done = this.queue.then(async (): Promise<ExternalCallOutcome> => {
      this.abort.signal.throwIfAborted();
      this.running = running;
      try {
        return { type: 'result', result: await router.call(call, ctx, this.abort.signal) };
      } finally {
        this.running = undefined;
      }
    });
    this.queue = running.done.catch(() => undefined);
    return Promise.race([running.done, asked]);
  }

  /** The person's answer (recorded, then granted for `allow-session`); then the call goes on to its result. */
  async approve(requestId: string, decision: ApprovalDecision): Promise<ExternalCallOutcome> {
    const p = this.pending.get(requestId);
    if (!p) throw new AirlockError(ErrorCodes.NotFound, `no call of session ${this.id} waits for approval ${requestId}`);
    if (decision === 'allow-session') {
      const scopes = this.policy.askedScopes(p.tool, p.input);
      await recordThenAct(
        () => this.run.d.audit,
        {
          session: this.id,
          subject: this.subject,
          action: 'task.grant',
          resource: p.tool,
          decision: 'allow-session',
          payload: { requestId, scopes },
        },
        () => this.policy.grant(scopes),
      );
    }
    p.resolve(decision === 'deny' ? 'deny' : 'allow');
    return p.done;
  }

  /** The pipeline's approval callback: the running call's external/call answers with the request. */
  private ask(req: { requestId: string; tool: string; input: unknown; reason: string }, signal: AbortSignal): Promise<'allow' | 'deny'> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const running = this.running;
      // The session ends (nobody will answer), or no call is running to carry the question (cannot happen): deny.
      if (this.closing || !running) return resolve('deny');
      const timer = setTimeout(() => finish('deny'), APPROVAL_TIMEOUT_MS);
      const onAbort = () => {
        clearTimeout(timer);
        this.pending.delete(req.requestId);
        reject(signal.reason);
      };
      const finish = (a: 'allow' | 'deny') => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.pending.delete(req.requestId);
        resolve(a);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(req.requestId, { tool: req.tool, input: req.input, resolve: finish, done: running.done });
      running.notify({ type: 'approval', requestId: req.requestId, tool: req.tool, reason: req.reason, input: req.input });
    });
  }

  /**
   * Ends the session once: open approvals are denied, the running call ends, the sandbox goes, the workflow session is
   * taken to review (guards run), and the edits become a patch set; the volume is freed and the end recorded.
   */
  close(reason: string): Promise<ExternalClose> {
    this.closing ??= this.finish(reason);
    return this.closing;
  }

  private async finish(reason: string): Promise<ExternalClose> {
    for (const p of [...this.pending.values()]) p.resolve('deny');
    await this.queue;
    const parts = this.parts;
    if (!parts) return { setId: null, files: 0, message: 'the session had not started' };
    const { vol, w } = parts;
    let finished: Finished = { type: 'finished', status: 'completed', message: `Session closed (${reason}).` };
    let set: PatchSet | undefined;
    try {
      this.abort.signal.throwIfAborted();
      const wf = this.run.t.workflow;
      const refusal = wf && hasChanges(vol, w.tv.root) ? await wf.beforeFinish(this.abort.signal) : undefined;
      await w.sb.close(`session ${this.id} closed`);
      finished = requireReview(this.run, finished, vol, w);
      if (refusal && finished.status !== 'completed') finished = { ...finished, message: `${finished.message}\n${refusal}` };
      if (finished.status === 'completed' && hasChanges(vol, w.tv.root)) set = await this.patches(vol, w);
    } catch (err) {
      const e = AirlockError.from(err);
      finished = { type: 'finished', status: 'failed', message: `Session failed: ${e.message}`, error: e.toPayload() };
    } finally {
      parts.quota.dispose();
      parts.attached?.dispose();
      await teardown(this.run, finished, vol, w.sb);
      if (!this.abort.signal.aborted) this.abort.abort(cancelledError('session'));
    }
    const message = set ? `${finished.message}\nPatch set ${set.id}: ${set.files.length} file(s).` : finished.message;
    return { setId: set?.id ?? null, files: set?.files.length ?? 0, message };
  }

  /** The patch set of the session's edits (`patches/ready`), recorded like a task's. */
  private async patches(vol: OutputVolume, w: Workspace): Promise<PatchSet> {
    const set = await this.run.d.patches.generate(patchSource(vol), { taskId: this.id, testsPassed: w.sb.testsPassed });
    const wf = this.run.t.workflow;
    await this.run.record('task.patches', {
      setId: set.id,
      files: set.files.length,
      blocked: set.blocked.length,
      testsPassed: w.sb.testsPassed,
      client: this.client,
      ...(wf ? { workflow: { sessionId: wf.sessionId, mode: wf.mode, state: wf.state } } : {}),
    });
    return set;
  }

  private need(): NonNullable<ExternalSession['parts']> {
    if (!this.parts) throw new AirlockError('EXTERNAL_SESSION_CLOSED', `session ${this.id} has not started`);
    return this.parts;
  }
}
