// A real provider whose SDK runs in the task's ai-provider sandbox (network none, egress: provider): the kernel sends
// each request to the worker there and validates what comes back; the key is added by the kernel's provider endpoint.
import type { StreamEvent } from '../../../../protocol/src/agent';
import { AirlockError } from '../../../../protocol/src/errors';
import {
  type LiveWorker,
  PROVIDER_TEMPLATE,
  type ProviderSandboxes,
  type SpareWorker,
  startWorker,
  type WorkerExec,
} from '../provider-worker/spare';
import type { KeptWorkers } from '../provider-worker/kept';
import type { WorkerVendor } from '../provider-worker/frames';
import type { IProvider, ProviderRequest } from './types';

export { PROVIDER_TEMPLATE, type ProviderSandboxes };

export class SandboxedProvider implements IProvider {
  private live: Promise<LiveWorker> | undefined;
  private disposed = false;
  /** Only a task's first worker comes from its conversation or the spare; one started again after a death is its own. */
  private first = true;

  constructor(
    readonly name: WorkerVendor,
    private readonly o: {
      sandboxes: ProviderSandboxes;
      task: string;
      exec?: WorkerExec;
      /** The kernel's spare worker (spare.ts): the task's first turn takes it rather than starting its own. */
      spare?: SpareWorker;
      /** Workers kept between a conversation's turns (kept.ts), and this task's conversation: its first turn takes one. */
      kept?: KeptWorkers;
      conversation?: () => string | undefined;
    },
  ) {}

  stream(req: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    return this.run(req, signal);
  }

  private async *run(req: ProviderRequest, signal: AbortSignal): AsyncGenerator<StreamEvent> {
    const w = await this.acquire(signal);
    yield* w.client.stream(this.name, req, signal);
  }

  /** The task's worker: started with its first turn, started again after it died. */
  private async acquire(signal: AbortSignal): Promise<LiveWorker> {
    if (this.disposed)
      throw new AirlockError('PROVIDER_DISPOSED', "the task's provider sandbox was closed", 'the task has ended; start a new one');
    const live = this.live && (await this.live.catch(() => undefined));
    if (live && !live.client.dead) return live;
    this.live = this.open(signal);
    this.live.catch(() => {
      this.live = undefined;
    });
    return this.live;
  }

  private async open(signal: AbortSignal): Promise<LiveWorker> {
    const first = this.first;
    this.first = false;
    // The conversation's last turn's worker, else the spare, else one of its own.
    const conversation = first ? this.o.conversation?.() : undefined;
    const kept = conversation ? this.o.kept?.take(conversation, this.o.task) : undefined;
    const w =
      kept ??
      (first ? await this.o.spare?.take(this.o.task) : undefined) ??
      (await startWorker(this.o.sandboxes, { task: this.o.task, signal, exec: this.o.exec }));
    if (this.disposed) {
      w.client.kill(
        new AirlockError('PROVIDER_DISPOSED', 'the task ended while its provider sandbox started', 'the task has ended; start a new one'),
      );
      await this.o.sandboxes.destroy(w.sandbox, 'the task ended').catch(() => undefined);
      throw new AirlockError(
        'PROVIDER_DISPOSED',
        'the task ended while its provider sandbox started',
        'the task has ended; start a new one',
      );
    }
    return w;
  }

  /**
   * The task is over: its provider sandbox goes, or, given `keepFor` (a chat turn that completed: its conversation), its
   * worker is kept for that conversation's next turn when it is idle and alive.
   */
  async dispose(keepFor?: string): Promise<void> {
    this.disposed = true;
    // Taken at once: a second dispose (the task's end after its `finished`) finds nothing, never the same worker again.
    const pending = this.live;
    this.live = undefined;
    const live = pending && (await pending.catch(() => undefined));
    if (!live) return;
    if (keepFor && this.o.kept?.keep(keepFor, this.o.task, live)) return;
    live.client.kill(
      new AirlockError('PROVIDER_DISPOSED', "the task's provider sandbox was closed", 'the task has ended; start a new one'),
    );
    await this.o.sandboxes.destroy(live.sandbox, 'the task ended').catch(() => undefined);
  }
}
