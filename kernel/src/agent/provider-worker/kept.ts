// A chat conversation's provider worker, kept between its turns so a follow-up reuses the process (no sandbox to take,
// no node to boot, no spare to start again beside the next turn's first model request).
import { AirlockError } from '../../../../protocol/src/errors';
import type { IDisposable } from '../../../../protocol/src/lifecycle';
import type { LiveWorker } from './spare';

/** How long a kept worker waits for its conversation's next turn before its sandbox goes. */
export const KEEP_IDLE_MS = 5 * 60_000;
/** Conversations whose workers are kept at once (the least recently kept goes first). */
export const MAX_KEPT = 2;

/** What keeping needs of the sandbox manager: a worker between turns serves no task (its requests get 503). */
export interface KeptSandboxes {
  bindTask(id: string, task: string): unknown;
  unbindTask(id: string, task: string): unknown;
  destroy(id: string, reason?: string): Promise<unknown>;
}

/**
 * One worker per conversation (a workflow session: the chat's turns share it), kept only when its task ended on its own
 * with no model request in flight. While kept its sandbox belongs to no task, so the provider endpoint refuses anything
 * it sends; the next turn binds it before its first request, as a spare is bound. Idle, dead or evicted: destroyed.
 */
export class KeptWorkers implements IDisposable {
  private readonly kept = new Map<string, { worker: LiveWorker; timer: NodeJS.Timeout }>();
  private disposed = false;

  constructor(
    private readonly sandboxes: KeptSandboxes,
    private readonly o: { idleMs?: number; max?: number; log?: (message: string) => void } = {},
  ) {}

  /** How many are kept now. */
  get size(): number {
    return this.kept.size;
  }

  /** Keeps `worker` (its task `task` just ended) for `conversation`; false when it cannot be kept (the caller destroys it). */
  keep(conversation: string, task: string, worker: LiveWorker): boolean {
    if (this.disposed || worker.client.dead || !worker.client.idle) return false;
    try {
      this.sandboxes.unbindTask(worker.sandbox, task);
    } catch (err) {
      this.o.log?.(`provider worker not kept: ${AirlockError.from(err).message}`);
      return false;
    }
    this.drop(conversation, 'its conversation kept a newer provider worker');
    for (const oldest of this.kept.keys()) {
      if (this.kept.size < (this.o.max ?? MAX_KEPT)) break;
      this.drop(oldest, 'a more recent conversation took its place');
    }
    const timer = setTimeout(() => this.drop(conversation, 'its conversation was idle'), this.o.idleMs ?? KEEP_IDLE_MS);
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
      this.sandboxes.bindTask(k.worker.sandbox, task);
    } catch (err) {
      this.o.log?.(`kept provider worker not used: ${AirlockError.from(err).message}`);
      void this.discard(k.worker, 'the kept provider sandbox could not be given to the next turn');
      return undefined;
    }
    return k.worker;
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
