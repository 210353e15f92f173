// Starting a provider worker in an ai-provider sandbox, and one spare started ahead of the next task, so a chat turn's
// first model request does not wait for a node process to boot and compile the worker (about a second on a busy machine).
import { AirlockError } from '../../../../protocol/src/errors';
import type { IDisposable } from '../../../../protocol/src/lifecycle';
import type { SandboxTemplate } from '../../../../core/src/templates';
import { engineAt } from '../../mcp/exec-stream';
import { sandboxProcess } from '../../mcp/socket-exec';
import type { SandboxInfo } from '../../runtime/sandbox';
import { ProviderWorkerClient, type WorkerProcess } from './client';
import { providerWorkerSource, WORKER_LOADER } from './source';

export const PROVIDER_TEMPLATE = 'ai-provider';

/** What a provider worker needs of the sandbox manager. */
export interface ProviderSandboxes {
  create(o: { template: string; task?: string; signal?: AbortSignal }): Promise<SandboxInfo>;
  destroy(id: string, reason?: string): Promise<unknown>;
  template(name: string): SandboxTemplate;
  /** The sandbox's egress folder (the worker's frames then skip the engine); the SandboxManager's. */
  stdioFolder(id: string): string | undefined;
  readonly runtime: { readonly socketPath: string };
}

/** ...and, for a spare, giving its sandbox to the task that takes it (SandboxManager.bindTask). */
export interface SpareSandboxes extends ProviderSandboxes {
  bindTask(id: string, task: string): unknown;
}

/** Starts the worker's process in the sandbox (tests may replace it); default: the engine's exec with stdin. */
export type WorkerExec = (sb: SandboxInfo, t: SandboxTemplate) => Promise<WorkerProcess>;

export interface LiveWorker {
  sandbox: string;
  client: ProviderWorkerClient;
}

/** How long a worker may take from asking for its sandbox to its `ready` (an engine call that hangs must not hang a turn). */
export const WORKER_START_DEADLINE_MS = 45_000;

/**
 * A worker up and ready in a new (or warm-pool) ai-provider sandbox. `task` undefined: a spare, whose sandbox belongs to
 * no task yet, so the kernel's provider endpoint answers its requests with 503 until a task takes it. Bounded: past
 * `deadlineMs` (or on `signal`) it fails with PROVIDER_WORKER_START and whatever it had started is destroyed.
 */
export async function startWorker(
  sandboxes: ProviderSandboxes,
  o: { task?: string; signal?: AbortSignal; exec?: WorkerExec; deadlineMs?: number },
): Promise<LiveWorker> {
  const ms = o.deadlineMs ?? WORKER_START_DEADLINE_MS;
  const late = AbortSignal.timeout(ms);
  const signal = o.signal ? AbortSignal.any([o.signal, late]) : late;
  const started: { sandbox?: string; proc?: WorkerProcess } = {};
  const cleanUp = (why: string) => {
    started.proc?.stdio.destroy();
    if (started.sandbox) void sandboxes.destroy(started.sandbox, why).catch(() => undefined);
  };
  const steps = async (): Promise<LiveWorker> => {
    const [source, sb] = await Promise.all([
      providerWorkerSource(),
      sandboxes.create({ template: PROVIDER_TEMPLATE, ...(o.task ? { task: o.task } : {}), signal }),
    ]);
    started.sandbox = sb.id;
    signal.throwIfAborted();
    const t = sandboxes.template(PROVIDER_TEMPLATE);
    started.proc = await (o.exec ?? defaultExec(sandboxes))(sb, t);
    signal.throwIfAborted();
    const client = new ProviderWorkerClient(started.proc, () => {
      void sandboxes.destroy(sb.id, 'the provider worker stopped').catch(() => undefined);
    });
    await client.start(source);
    signal.throwIfAborted();
    return { sandbox: sb.id, client };
  };
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        late.aborted
          ? new AirlockError(
              'PROVIDER_WORKER_START',
              `the provider worker did not start within ${Math.round(ms / 1000)} s`,
              'the container engine is slow or stuck; `airlock doctor` checks it, and the next turn tries again',
            )
          : signal.reason,
      );
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const running = steps();
  try {
    return await Promise.race([running, aborted]);
  } catch (e) {
    cleanUp('the provider worker did not start');
    // Steps still in flight (a hung engine call) clean up after themselves when they return.
    running.then(
      () => cleanUp('the provider worker started too late'),
      () => cleanUp('the provider worker did not start'),
    );
    throw AirlockError.from(e, 'PROVIDER_WORKER_START', 'the ai-provider sandbox could not run the provider worker');
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

function defaultExec(sandboxes: ProviderSandboxes): WorkerExec {
  return (sb, t) => {
    if (!sb.containerId)
      throw new AirlockError(
        'PROVIDER_WORKER_START',
        `sandbox ${sb.id} has no container`,
        'the sandbox failed as it started; `airlock sandbox list` shows why',
      );
    // The worker's frames go over a socket in its sandbox's egress folder (no engine hop), where there is one.
    const where = { containerId: sb.containerId, stdioFolder: sandboxes.stdioFolder(sb.id) };
    return sandboxProcess(engineAt(sandboxes.runtime.socketPath), where, ['node', '-e', WORKER_LOADER], {
      user: t.user,
      workingDir: t.workdir,
    });
  };
}

/**
 * One worker started before any task asks for it. A task takes it whole (its sandbox is then bound to that task and
 * goes with it: a worker never serves two tasks) and the next spare starts at once, within its sandbox's CPU quota, so
 * it is ready for a follow-up sent soon after. A spare that died or cannot be bound is destroyed and the task starts
 * its own worker as before.
 */
export class SpareWorker implements IDisposable {
  private next: Promise<LiveWorker | undefined> | undefined;
  /** A spare a task took while it was still starting: no other starts beside it (both would boot at half speed). */
  private taken: Promise<unknown> | undefined;
  private disposed = false;

  constructor(
    private readonly sandboxes: SpareSandboxes,
    private readonly o: {
      exec?: WorkerExec;
      log?: (message: string) => void;
      /** Asked before each start: false (e.g. the ai-provider pool resized to 0) starts none; one started is still used. */
      wanted?: () => boolean;
      /** startWorker's deadline (tests shorten it). */
      deadlineMs?: number;
    } = {},
  ) {}

  /** Starts a spare unless one is ready or starting (for the next task, or already taken by one that waits for it). */
  fill(): void {
    if (this.disposed || this.next || this.taken || this.o.wanted?.() === false) return;
    const p = startWorker(this.sandboxes, { exec: this.o.exec, deadlineMs: this.o.deadlineMs }).then(
      (w) => {
        if (!this.disposed) return w;
        void this.discard(w, 'the kernel is shutting down');
        return undefined;
      },
      (err: unknown) => {
        this.o.log?.(`spare provider worker not started: ${AirlockError.from(err).message}`);
        if (this.next === p) this.next = undefined;
        return undefined;
      },
    );
    this.next = p;
  }

  /** Whether a spare is up (waits for one still starting). */
  async ready(): Promise<boolean> {
    const w = this.next && (await this.next);
    return !!w && !w.client.dead;
  }

  /**
   * The spare for `task`, its sandbox bound to the task before it is handed out; undefined when there is none (one
   * still starting is waited for: it is further along than a new one would be).
   */
  async take(task: string): Promise<LiveWorker | undefined> {
    const p = this.next;
    this.next = undefined;
    if (!p) return undefined;
    const settled = p.finally(() => {
      if (this.taken === settled) this.taken = undefined;
    });
    this.taken = settled;
    const w = await settled;
    if (!w) return undefined;
    if (w.client.dead) {
      await this.discard(w, 'the spare provider worker had stopped');
      return undefined;
    }
    try {
      this.sandboxes.bindTask(w.sandbox, task);
    } catch (err) {
      this.o.log?.(`spare provider worker not used: ${AirlockError.from(err).message}`);
      await this.discard(w, 'the spare provider sandbox could not be given to a task');
      return undefined;
    }
    this.fill();
    return w;
  }

  dispose(): void {
    this.disposed = true;
    const p = this.next;
    this.next = undefined;
    void p?.then((w) => w && this.discard(w, 'the kernel is shutting down'));
  }

  private async discard(w: LiveWorker, why: string): Promise<void> {
    w.client.kill(new AirlockError('PROVIDER_DISPOSED', why, 'a new provider worker starts when needed'));
    await this.sandboxes.destroy(w.sandbox, why).catch(() => undefined);
  }
}
