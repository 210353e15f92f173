// TaskService: owns running agent tasks (task/start, task/cancel, task/approve) and provider keys (provider/configure).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import { AgentMode, type ProviderName, type TaskEvent } from '../../../protocol/src/agent';
import { AirlockError, cancelledError, ErrorCodes } from '../../../protocol/src/errors';
import type { IDisposable } from '../../../protocol/src/lifecycle';
import type { ApprovalDecision, TaskStartParams } from '../../../protocol/src/methods/agent';
import type { IPolicyEngine } from '../../../core/src/policy/engine';
import type { TokenService } from '../../../core/src/policy/tokens';
import type { KernelAudit } from '../audit/startup';
import type { KernelConfig } from '../config';
import type { IEventBus } from '../event-bus';
import type { PatchService } from '../patches/service';
import type { VolumeEngine } from '../patches/volumes';
import { NoSandboxes } from '../runtime/no-sandboxes';
import type { SandboxManager } from '../runtime/sandbox-manager';
import type { Scheduler } from '../scheduler/scheduler';
import type { WorkflowService } from '../workflow/machine';
import type { ApprovalAnswer, IPolicy } from './interfaces';
import type { IProvider } from './providers/types';
import { RecordingProvider } from './providers/replay';
import { SandboxedProvider } from './providers/sandboxed';
import { KeptWorkers } from './provider-worker/kept';
import { PROVIDER_TEMPLATE, SpareWorker } from './provider-worker/spare';
import { SpareRefill } from './spare-refill';
import { Sanitiser } from './sanitise';
import { createProvider, DEFAULT_MODELS, type ProviderSettings, resolveReplayFile } from './task-provider';
import { ModeEngines, TaskPolicy } from './task-policy';
import { autoMergeTaskSet } from './task-automerge';
import { verifyAccepted } from '../patches/verify';
import { runTask, TASK_TEMPLATE, type TaskRunDeps } from './task-run';
import { TaskWorkflow } from './task-workflow';
import type { ToolSpec } from './tools/types';
import { recordThenAct } from '../audit/record';
import type { EgressApprover, EgressPolicy } from '../egress/decide';
import type { ProviderUpstream } from '../egress/provider-upstream';
import { taskEgressApprover } from './task-egress';
import { LmBridge } from './providers/vscode-lm';
import { checkImages } from './task-images';
import { type Scheduled, scheduleTask } from './task-schedule';
import { answerApproval, askApproval, type RunningTask } from './task-running';
import { engineHostPath, taskOutputRoot, taskVolumeEngine } from './task-paths';

/** What tasks use of the kernel (main.ts passes its own services; nothing here reaches back for the rest). */
export interface TaskServiceDeps {
  readonly config: Pick<KernelConfig, 'workspace' | 'stateDir' | 'outputsDir' | 'inContainer'>;
  readonly events: IEventBus;
  /** The kernel's engine: tasks in the kernel's mode (or under custom policy files) are judged by it. */
  readonly policy: IPolicyEngine;
  readonly audit: Pick<KernelAudit, 'writer' | 'assertSessionsAllowed'>;
  /** NoSandboxes without an engine: then no task starts (SANDBOX_NO_RUNTIME). */
  readonly runtime: SandboxManager | NoSandboxes;
  readonly patches: PatchService;
  readonly scheduler: Pick<Scheduler, 'submit' | 'cancel'>;
  readonly workflow: WorkflowService;
  /** The kernel's one capability-token service (session grants mint single-use tokens the policy engine verifies). */
  readonly tokens: TokenService;
  /** Tools of running MCP servers (kernel/src/mcp/servers.ts), added to each task's router when it starts. */
  readonly pluginTools?: () => ToolSpec[];
}

export interface TaskStarted {
  taskId: string;
  provider: ProviderName;
  model: string;
  recordFile?: string;
  sessionId?: string;
}

/** How long a new task of a session waits for the session's cancelled task to end. */
const CANCELLED_WAIT_MS = 30_000;

export class TaskService implements IDisposable {
  private readonly tasks = new Map<string, RunningTask>();
  private readonly providers = new Map<ProviderName, ProviderSettings>();
  /** Shared by every task: provider keys and secret-looking env values are redacted everywhere. */
  readonly sanitiser = new Sanitiser();
  private readonly engines: ModeEngines;
  private readonly kernelMode: string;
  /** Turns of `vscode-lm` tasks go to the extension host and come back through lm/respond. */
  readonly lm: LmBridge;
  /** A provider worker started ahead of the next task (undefined without sandboxes or with warm pools off). */
  private readonly spare: SpareWorker | undefined;
  /** A chat conversation's provider worker, kept between its turns (undefined where the spare is). */
  private readonly kept: KeptWorkers | undefined;
  /** Holds the spare's start back while a task's model request waits for its first answer (spare-refill.ts). */
  private readonly refill = new SpareRefill(() => this.spare?.fill());

  constructor(
    private readonly d: TaskServiceDeps,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly volumeEngine?: VolumeEngine,
  ) {
    this.sanitiser.addSecretEnv(env);
    this.lm = new LmBridge(d.events);
    this.kernelMode = env.AIRLOCK_POLICY_MODE ?? 'strict';
    this.engines = new ModeEngines({
      kernel: d.policy,
      kernelMode: this.kernelMode,
      customPolicy: !!env.AIRLOCK_POLICY_FILES,
      tokens: d.tokens,
      workspace: d.config.workspace,
      stateDir: d.config.stateDir,
    });
    // Warm pools off (AIRLOCK_SANDBOX_POOLS=0) or an ai-provider pool of 0 (also when resized at runtime): nothing is
    // started before a task asks.
    const rt = d.runtime;
    if (!(rt instanceof NoSandboxes) && rt.poolsEnabled) {
      this.spare = new SpareWorker(rt, {
        log: (m) => process.stderr.write(`tasks warn: ${m}\n`),
        wanted: () => this.refill.quiet && (rt.poolSizes()[PROVIDER_TEMPLATE] ?? 0) > 0,
      });
      this.spare.fill();
      this.kept = new KeptWorkers(rt, {
        log: (m) => process.stderr.write(`tasks warn: ${m}\n`),
        // Which task a provider sandbox serves changes here: the trail says so (the sandbox's label names its first).
        record: (action, payload) => {
          d.audit.writer.append({ session: String(payload.task), subject: 'kernel', action, resource: String(payload.sandbox), payload });
        },
      });
    }
  }

  /** Keys live in this process only; they are registered with the sanitiser before anything can echo them. */
  configure(p: { provider: ProviderName; apiKey?: string; baseUrl?: string }): boolean {
    if (p.apiKey) this.sanitiser.addSecret(p.apiKey);
    this.providers.set(p.provider, {
      ...this.providers.get(p.provider),
      ...(p.apiKey ? { apiKey: p.apiKey } : {}),
      ...(p.baseUrl ? { baseUrl: p.baseUrl } : {}),
    });
    return true;
  }

  /** Checks the kernel can run a task, then records it, opens its workflow session and queues it with the scheduler. */
  /**
   * `known`: told the task's id, provider and model before anything can emit an event for it (the session store keeps
   * only the events of a task it knows: the workflow's opening, and the first model turn, which may start before this
   * returns). A start that fails after it throws as before; the caller ends what it made of it.
   */
  async start(
    p: TaskStartParams,
    client?: { onDidClose: (fn: () => void) => IDisposable },
    known?: (t: { taskId: string; provider: string; model: string }) => void,
  ): Promise<TaskStarted> {
    await this.cancelledEnded(p.sessionId);
    const { runtime, outputRoot } = this.admit();
    const taskId = `task_${randomBytes(6).toString('hex')}`;
    const chosen = this.chooseProvider(p, taskId, runtime);
    const images = checkImages(chosen.name, p.images);
    const mode = this.modeFor(p);
    const engine = this.engines.for(mode);
    const key = (tool: string, input: unknown) => `${tool}\n${JSON.stringify(this.sanitiser.sanitiseValue(input))}`;
    const policy = new TaskPolicy({ engine, tokens: this.d.tokens, taskId, mode, workspace: this.d.config.workspace, key });
    const task: RunningTask = {
      id: taskId,
      abort: new AbortController(),
      seq: 0,
      started: false,
      policy,
      pending: new Map(),
      providerSandbox: chosen.sandboxed,
      chat: p.chat,
      net: { policy: engine, mode },
    };
    const emit = (event: TaskEvent) => {
      // The turn is over: its worker is let go (kept for the conversation's next turn, or destroyed) before anyone hears
      // so, so a follow-up sent at once (a queued message) finds it kept.
      if (event.type === 'finished') void chosen.sandboxed?.dispose(keepFor(task, event.status));
      this.d.events.emit('task/event', { taskId, seq: task.seq++, event });
      if (chosen.sandboxed) this.refill.saw(taskId, event.type);
    };
    task.emit = emit;
    if (chosen.name !== 'replay' && chosen.name !== 'vscode-lm')
      task.upstream = {
        vendor: chosen.name,
        baseUrl: p.baseUrl ?? this.providers.get(chosen.name)?.baseUrl,
        apiKey: this.providers.get(chosen.name)?.apiKey,
      };
    await this.d.audit.writer.append(
      {
        session: taskId,
        subject: 'kernel',
        action: 'task.start',
        resource: taskId,
        payload: this.sanitiser.sanitiseValue({
          provider: chosen.name,
          model: chosen.model,
          mode,
          prompt: p.prompt.slice(0, 2000),
          historyTurns: p.history?.length ?? 0,
          ...(images.length ? { images } : {}),
          budgets: p.budgets ?? {},
          record: !!p.record,
        }),
      },
      { sync: true },
    );
    known?.({ taskId, provider: chosen.name, model: chosen.model });
    const wf = await this.openSession(p, task, mode, emit);
    task.sessionId = wf?.sessionId;
    this.tasks.set(taskId, task);
    // A task whose client went away is cancelled: nobody could answer its approvals or stop it any more.
    task.closeSub = client?.onDidClose(() => this.cancel(taskId, 'the client disconnected'));
    this.schedule(task, { p, runtime, outputRoot, mode, engine, provider: chosen.provider, model: chosen.model, emit, wf });
    return {
      taskId,
      provider: chosen.name,
      model: chosen.model,
      ...(chosen.recordFile ? { recordFile: chosen.recordFile } : {}),
      ...(wf ? { sessionId: wf.sessionId } : {}),
    };
  }

  /** No task starts on an audit chain that failed verification, without sandboxes, or with uncapped output dirs. */
  private admit(): { runtime: SandboxManager; outputRoot: string } {
    this.d.audit.assertSessionsAllowed();
    const runtime = this.d.runtime;
    // The null object refuses every call; a task's run needs the manager itself (runTask takes a SandboxManager).
    if (runtime instanceof NoSandboxes) throw runtime.refusal('so tasks cannot run commands or edit files');
    return { runtime, outputRoot: taskOutputRoot(this.d.config) };
  }

  /**
   * The named provider (or replay file, or the first configured one), recording its exchanges when asked. A real
   * vendor's SDK runs in the task's ai-provider sandbox; the kernel's provider endpoint adds the key (docs/agent.md).
   */
  private chooseProvider(
    p: TaskStartParams,
    taskId: string,
    runtime: SandboxManager,
  ): { name: ProviderName; model: string; provider: IProvider; recordFile?: string; sandboxed?: SandboxedProvider } {
    const name: ProviderName | undefined = p.provider ?? (p.replay ? 'replay' : [...this.providers.keys()][0]);
    if (!name)
      throw new AirlockError(
        ErrorCodes.BadParams,
        'no provider given and none configured',
        'pass --provider NAME with its API key in the environment, or --replay FILE',
      );
    const model = p.model ?? DEFAULT_MODELS[name];
    const replayFile = name === 'replay' ? resolveReplayFile(p.replay ?? '', this.d.config.workspace, this.env) : undefined;
    let sandboxed: SandboxedProvider | undefined;
    const provider = createProvider(name, {
      model,
      baseUrl: p.baseUrl,
      settings: this.providers.get(name),
      replayFile,
      lm: { bridge: this.lm, taskId },
      sandboxed: (vendor) =>
        (sandboxed = new SandboxedProvider(vendor, {
          sandboxes: runtime,
          task: taskId,
          spare: this.spare,
          kept: this.kept,
          // Read at the first model request, once the workflow session is open: the one the turn is in, not the one asked.
          conversation: () => (p.chat ? this.tasks.get(taskId)?.sessionId : undefined),
        })),
    });
    if (!p.record) return { name, model, provider, sandboxed };
    const file = path.join(this.d.config.stateDir, 'recordings', `${taskId}.jsonl`);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    return {
      name,
      model,
      provider: new RecordingProvider(provider, file),
      recordFile: engineHostPath(this.d.config, this.env, file),
      sandboxed,
    };
  }

  /**
   * A session's previous task that is being cancelled (Stop, or the window that started it went away) is let end first,
   * for at most CANCELLED_WAIT_MS: its teardown (sandbox, volume, the audit record) takes a moment, and a message sent
   * right after Stop or a reload then starts instead of failing with WORKFLOW_SESSION_BUSY. A task still working is busy.
   */
  private async cancelledEnded(sessionId: string | undefined): Promise<void> {
    const busy = sessionId && [...this.tasks.values()].find((t) => t.sessionId === sessionId);
    if (!busy || !busy.abort.signal.aborted || !busy.done) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([busy.done.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, CANCELLED_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** A resumed session keeps its mode unless the person asks for another one; a session runs one task at a time. */
  private modeFor(p: TaskStartParams): string {
    if (!p.sessionId) return p.mode ?? this.kernelMode;
    const busy = [...this.tasks.values()].find((t) => t.sessionId === p.sessionId);
    if (busy)
      throw new AirlockError(
        'WORKFLOW_SESSION_BUSY',
        `workflow session ${p.sessionId} is in use by task ${busy.id}`,
        'wait for it to finish or cancel it',
      );
    return p.mode ?? this.d.workflow.get(p.sessionId).mode;
  }

  /** The task's workflow session (new, or the named one resumed in its persisted state): its mode is enforced. */
  private async openSession(
    p: TaskStartParams,
    task: RunningTask,
    mode: string,
    emit: (e: TaskEvent) => void,
  ): Promise<TaskWorkflow | undefined> {
    const wfMode = AgentMode.safeParse(mode);
    if (!wfMode.success) return undefined;
    return TaskWorkflow.open(
      {
        workflow: this.d.workflow,
        audit: this.d.audit.writer,
        sanitiser: this.sanitiser,
        taskId: task.id,
        workspace: this.d.config.workspace,
        emit,
      },
      { sessionId: p.sessionId, mode: wfMode.data },
      task.abort.signal,
    );
  }

  private schedule(task: RunningTask, r: Scheduled): void {
    scheduleTask(task, r, {
      scheduler: this.d.scheduler,
      patches: this.d.patches,
      sanitiser: this.sanitiser,
      runDeps: (runtime, outputRoot) => this.runDeps(runtime, outputRoot),
      forget: (id) => this.forget(id),
    });
  }

  /** What a task's run is given: its sandboxes, output dirs, patches, audit log and the shared sanitiser. */
  private runDeps(runtime: SandboxManager, outputRoot: string): TaskRunDeps {
    return {
      workspace: this.d.config.workspace,
      outputRoot,
      hostPath: (k) => engineHostPath(this.d.config, this.env, k),
      volumeEngine: taskVolumeEngine(this.env, this.volumeEngine),
      runtime,
      patches: this.d.patches,
      audit: this.d.audit.writer,
      sanitiser: this.sanitiser,
      pluginTools: this.d.pluginTools,
    };
  }

  /** An external session (external-sessions.ts) is admitted and run like a task, judged by its mode's engine. */
  prepareExternal(mode?: string): { deps: TaskRunDeps; mode: string; engine: IPolicyEngine } {
    const { runtime, outputRoot } = this.admit();
    const m = mode ?? this.kernelMode;
    return { deps: this.runDeps(runtime, outputRoot), mode: m, engine: this.engines.for(m) };
  }

  cancel(taskId: string, reason = 'cancelled by a person'): boolean {
    const task = this.tasks.get(taskId);
    if (!task || task.abort.signal.aborted) return false;
    task.abort.abort(cancelledError('task'));
    for (const p of task.pending.values()) p.resolve('deny');
    try {
      this.d.scheduler.cancel(taskId, reason);
    } catch {
      /* already finished in the scheduler */
    }
    if (!task.started) {
      // Never started: no sandbox, no volume; just say so.
      this.d.events.emit('task/event', {
        taskId,
        seq: task.seq++,
        event: { type: 'finished', status: 'cancelled', message: `Task cancelled before it started (${reason}).` },
      });
      void this.d.audit.writer
        .append(
          {
            session: taskId,
            subject: 'kernel',
            action: 'task.finish',
            resource: taskId,
            payload: { status: 'cancelled', message: reason },
          },
          { sync: true },
        )
        .catch(() => undefined);
      this.forget(taskId);
    }
    return true;
  }

  /**
   * Answers an approval request; false when the task or request is unknown (already answered, task over). A deny's
   * `note` (the person's reason) reaches the model as the call's result and the audit log with the answer.
   */
  async approve(taskId: string, requestId: string, decision: ApprovalDecision, note?: string): Promise<boolean> {
    const task = this.tasks.get(taskId);
    return !!task && answerApproval(() => this.d.audit.writer, task, requestId, decision, note);
  }

  /** The egress proxy's approver for a task's sandboxes (kernel/src/egress/attach.ts): undefined for no running task. */
  egressApprover(taskId: string | undefined): EgressApprover | undefined {
    const task = taskId ? this.tasks.get(taskId) : undefined;
    const emit = task?.emit;
    if (!task || !emit) return undefined;
    return taskEgressApprover({
      emit,
      ask: (req, sig) => askApproval(task, req, sig),
      signal: task.abort.signal,
      granted: (resource) => task.policy.granted('net.connect', resource),
    });
  }

  /** The policy of a running task (its mode's engine and session grants): tool plugins' proposed writes are judged by it. */
  policyOf(taskId: string): IPolicy | undefined {
    return this.tasks.get(taskId)?.policy;
  }

  /** The policy the egress proxy judges a running task's connections by: its mode's, not the kernel's (undefined: no task). */
  egressPolicy(taskId: string | undefined): { policy: EgressPolicy; mode: string } | undefined {
    return taskId ? this.tasks.get(taskId)?.net : undefined;
  }

  /** The model provider of a task, for its ai-provider sandbox's endpoint (the kernel adds the key upstream). */
  providerUpstream(taskId: string | undefined): ProviderUpstream | undefined {
    return taskId ? this.tasks.get(taskId)?.upstream : undefined;
  }

  /** True while the task is queued or running (a rewind refuses to drop it). */
  isActive(taskId: string): boolean {
    return this.tasks.has(taskId);
  }

  /** Waits for a task's work to end (tests, shutdown). */
  async settled(taskId: string): Promise<void> {
    await this.tasks.get(taskId)?.done;
  }

  dispose(): void {
    for (const id of [...this.tasks.keys()]) this.cancel(id, 'the kernel is shutting down');
    this.engines.dispose();
    this.spare?.dispose();
    this.kept?.dispose();
  }

  private forget(taskId: string): void {
    this.tasks.get(taskId)?.closeSub?.dispose();
    this.refill.done(taskId);
    // A spare taken starts the next at once; one that failed to start is tried again when a task ends. A chat turn's
    // worker was let go with its `finished` (kept or destroyed); whatever is left goes now.
    const sb = this.tasks.get(taskId)?.providerSandbox;
    if (sb) void sb.dispose().finally(() => this.spare?.fill());
    this.tasks.delete(taskId);
  }
}

/** The conversation a chat turn that completed leaves its provider worker to; undefined: the worker goes (a stopped,
 * failed or over-budget turn's may be stuck in a request). */
function keepFor(t: RunningTask, status: string): string | undefined {
  return t.chat && status === 'completed' && !t.abort.signal.aborted ? t.sessionId : undefined;
}
