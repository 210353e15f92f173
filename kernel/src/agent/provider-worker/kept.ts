// A chat conversation's provider worker, kept between its turns so a follow-up reuses the process (no sandbox to take,
// no node to boot, no spare to start again beside the next turn's first model request).
import { AirlockError } from '../../../../protocol/src/errors';
import type { IDisposable } from '../../../../protocol/src/lifecycle';
import type { LiveWorker } from './spare';

/** How long a kept worker waits for its conversation's next turn before its sandbox goes. */
export const KEEP_IDLE_MS = 5 * 60_000;
/** Conversations whose workers are kept at once (the least recently kept goes first). */
export const MAX_KEPT = 2;
/**
 * Time a sandbox must have left before its deadline (counted from when it was made) to serve one more turn: a kept
 * worker is never handed a turn its sandbox would be killed in the middle of.
 */
export const TURN_MARGIN_MS = 30 * 60_000;

/** What keeping needs of the sandbox manager: a worker between turns serves no task (its requests get 503). */
export interface KeptSandboxes {
  bindTask(id: string, task: string): { deadline: number };
  unbindTask(id: string, task: string): { deadline: number };
  destroy(id: string, reason?: string): Promise<unknown>;
}

/**
 * One worker per conversation (a workflow session: the chat's turns share it), kept only when its chat turn completed
 * with no model request in flight. While kept its sandbox belongs to no task, so the provider endpoint refuses anything
 * it sends; the next turn binds it before its first request, as a spare is bound. Idle, dead or evicted: destroyed.
 */
export class KeptWorkers implements IDisposable {
  private readonly kept = new Map<string, { worker: LiveWorker; timer: NodeJS.Timeout }>();
  private disposed = false;

  constructor(
    private readonly sandboxes: KeptSandboxes,
    private readonly o: {
      idleMs?: number;
      max?: number;
      log?: (message: string) => void;
      /**
       * Records a worker kept (unbound from its task) or handed to the next turn (buffered audit entries, in the same
       * synchronous step as the change, before anything can use it); a throw refuses the change (the worker goes).
       */
      record?: (action: 'provider.worker.kept' | 'provider.worker.reused', payload: Record<string, unknown>) => void;
      now?: () => number;
    } = {},
  ) {}

  /** How many are kept now. */
  get size(): number {
    return this.kept.size;
  }

  /** Keeps `worker` (its task `task` just ended) for `conversation`; false when it cannot be kept (the caller destroys it). */
  keep(conversation: string, task: string, worker: LiveWorker): boolean {
    const no = this.disposed ? 'shutting down' : worker.client.dead ? 'it stopped' : !worker.client.idle ? 'a request is in flight' : '';
    if (no) {
      this.o.log?.(`provider worker of task ${task} not kept: ${no}`);
      return false;
    }
    const idleMs = this.o.idleMs ?? KEEP_IDLE_MS;
    try {
      const { deadline } = this.sandboxes.unbindTask(worker.sandbox, task);
      if (deadline - this.now() < idleMs + TURN_MARGIN_MS) {
        this.o.log?.(`provider worker of task ${task} not kept: its sandbox is too near its deadline for another turn`);
        return false;
      }
    } catch (err) {
      this.o.log?.(`provider worker not kept: ${AirlockError.from(err).message}`);
      return false;
    }
    if (!this.recorded('provider.worker.kept', { sandbox: worker.sandbox, task, conversation })) return false;
    this.drop(conversation, 'its conversation kept a newer provider worker');
    for (const oldest of this.kept.keys()) {
      if (this.kept.size < (this.o.max ?? MAX_KEPT)) break;
      this.drop(oldest, 'a more recent conversation took its place');
    }
    const timer = setTimeout(() => this.drop(conversation, 'its conversation was idle'), idleMs);
    timer.unref?.();
    this.kept.set(conversation, { worker, timer });
    return true;
  }

  /** The worker kept for `conversation`, its sandbox bound to `task`; undefined when none is kept or it cannot serve. */
  take(conversation: string, task: string): LiveWorker | undefined {
    const k = this.kept.get(conversation);
    if (!k) return undefined;
    this.kept.delete(conversation);
    clearTimeout(k.timer);
    if (k.worker.client.dead) {
      void this.discard(k.worker, 'the kept provider worker had stopped');
      return undefined;
    }
    try {
      const { deadline } = this.sandboxes.bindTask(k.worker.sandbox, task);
      if (deadline - this.now() < TURN_MARGIN_MS) {
        void this.discard(k.worker, 'the kept provider sandbox is too near its deadline for another turn');
        return undefined;
      }
    } catch (err) {
      this.o.log?.(`kept provider worker not used: ${AirlockError.from(err).message}`);
      void this.discard(k.worker, 'the kept provider sandbox could not be given to the next turn');
      return undefined;
    }
    if (!this.recorded('provider.worker.reused', { sandbox: k.worker.sandbox, task, conversation })) {
      void this.discard(k.worker, 'its handover to the next turn could not be recorded');
      return undefined;
    }
    return k.worker;
  }

  private recorded(action: 'provider.worker.kept' | 'provider.worker.reused', payload: Record<string, unknown>): boolean {
    try {
      this.o.record?.(action, payload);
      return true;
    } catch (err) {
      this.o.log?.(`${action} not recorded, so not done: ${AirlockError.from(err).message}`);
      return false;
    }
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  dispose(): void {
    this.disposed = true;
    for (const c of [...this.kept.keys()]) this.drop(c, 'the kernel is shutting down');
  }

  private drop(conversation: string, why: string): void {
    const k = this.kept.get(conversation);
    if (!k) return;
    this.kept.delete(conversation);
    clearTimeout(k.timer);
    void this.discard(k.worker, why);
  }

  private async discard(w: LiveWorker, why: string): Promise<void> {
    w.client.kill(new AirlockError('PROVIDER_DISPOSED', why, 'a new provider worker starts when needed'));
    await this.sandboxes.destroy(w.sandbox, why).catch(() => undefined);
  }
}
