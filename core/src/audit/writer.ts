// Where the audit log's batches are committed: inline on the caller's thread, or on a writer thread (the default).
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { AirlockError } from '../../../protocol/src/errors';
import { workerEntry } from '../../../protocol/src/node/assets';
import { type CommitBatch, Committer, type CommitterInit } from './commit';
import type { ChainPoint } from './head';

export type WriterRequest = { type: 'batch'; text: string; target: ChainPoint; durable: boolean } | { type: 'retry' } | { type: 'close' };

/** `handled` counts the requests the reply answers (the thread folds everything queued into one transaction). */
export type WriterReply =
  { type: 'committed'; point: ChainPoint; handled: number } | { type: 'failed'; through: number; message: string; handled: number };

export interface WriterThreadData {
  dbPath: string;
  headPath: string;
  key: Uint8Array;
  logId: string;
  headCounter: number;
  committed: ChainPoint;
  /** Int32 [0]: bumped after every reply, so a synchronous drain can Atomics.wait for it. */
  ctrl: SharedArrayBuffer;
  port: MessagePort;
}

/** What the log hears back: a commit up to a point, or a failure of everything up to `through` (kept for retry). */
export interface WriterEvents {
  committed(point: ChainPoint): void;
  failed(through: number, message: string): void;
}

export interface IBatchWriter {
  readonly kind: 'thread' | 'inline';
  /** Why the writer can take nothing more (its thread is gone); undefined while it works. */
  readonly stopped: string | undefined;
  submit(batch: CommitBatch): void;
  /** Writes the backlog of a failed commit again (nothing new to add). */
  retry(): void;
  /**
   * Blocks until at most `outstanding` submitted requests are unanswered (the thread; default: none); throws
   * AUDIT_WRITER_STOPPED if the thread is gone or never answers.
   */
  drain(outstanding?: number): void;
  dispose(): void;
}

export const AUDIT_WRITER_STOPPED = 'AUDIT_WRITER_STOPPED';
const DRAIN_TIMEOUT_MS = 30_000;

export class InlineWriter implements IBatchWriter {
  readonly kind = 'inline';
  readonly stopped = undefined;
  private readonly committer: Committer;
  private last: ChainPoint;

  constructor(
    init: CommitterInit,
    private readonly events: WriterEvents,
  ) {
    this.committer = new Committer(init);
    this.last = init.committed;
  }

  submit(batch: CommitBatch): void {
    this.last = batch.target;
    this.run(batch);
  }

  retry(): void {
    if (this.committer.backlog) this.run({ text: '', target: this.last, durable: true });
  }

  drain(_outstanding?: number): void {
    /* every commit already happened in submit */
  }

  dispose(): void {
    this.committer.dispose();
  }

  private run(batch: CommitBatch): void {
    try {
      this.committer.commit(batch);
    } catch (e) {
      this.events.failed(batch.target.seq, (e as Error).message);
      return;
    }
    this.events.committed(batch.target);
  }
}

/** The thread's script, from the asset resolver: the bundled .js beside the kernel bundle, or the .ts source. */
export function writerThreadEntry(): { file: string; ts: boolean } | undefined {
  return workerEntry('audit-writer');
}

/**
 * Hashing stays on the caller's thread (entries come back with their hash at once); SQLite and the head file move to
 * a thread, so both cores work on a stream of appends. Synchronous callers (flush, query, close) wait on shared memory.
 */
export class ThreadWriter implements IBatchWriter {
  readonly kind = 'thread';
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(4));
  private posted = 0;
  private answered = 0;
  private _stopped: string | undefined;
  get stopped(): string | undefined {
    return this._stopped;
  }

  constructor(
    entry: { file: string; ts: boolean },
    init: Omit<WriterThreadData, 'ctrl' | 'port'>,
    private readonly events: WriterEvents,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const boot = `${entry.ts ? "require('tsx/cjs');" : ''} require(${JSON.stringify(entry.file)});`;
    const data: WriterThreadData = { ...init, ctrl: this.ctrl.buffer as SharedArrayBuffer, port: port2 };
    // A larger young generation: every batch allocates thousands of short-lived strings and buffers.
    this.worker = new Worker(boot, {
      eval: true,
      workerData: data,
      transferList: [port2],
      resourceLimits: { maxYoungGenerationSizeMb: 48 },
    });
    this.worker.unref();
    this.worker.on('error', (e) => this.stop(`the audit writer thread failed: ${e.message}`));
    this.worker.on('exit', (code) => {
      if (this.posted > this.answered || code !== 0) this.stop(`the audit writer thread exited (code ${code})`);
    });
    this.port.on('message', (r: WriterReply) => this.onReply(r));
    this.port.unref();
  }

  submit(batch: CommitBatch): void {
    this.post({ type: 'batch', text: batch.text, target: batch.target, durable: batch.durable }, batch.target.seq);
  }

  retry(): void {
    this.post({ type: 'retry' }, undefined);
  }

  drain(outstanding = 0): void {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (this.posted - this.answered > outstanding && !this.stopped) {
      const seen = Atomics.load(this.ctrl, 0);
      const m = receiveMessageOnPort(this.port);
      if (m) {
        this.onReply(m.message as WriterReply);
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.stop(`the audit writer thread did not answer within ${DRAIN_TIMEOUT_MS} ms`);
        break;
      }
      Atomics.wait(this.ctrl, 0, seen, left);
    }
    if (this.stopped)
      throw new AirlockError(AUDIT_WRITER_STOPPED, this.stopped, 'restart the kernel; entries not yet written were refused');
  }

  dispose(): void {
    if (!this.stopped) {
      try {
        this.post({ type: 'close' }, undefined);
        this.drain();
      } catch {
        /* reported through events.failed */
      }
    }
    this._stopped ??= 'the audit log is closed';
    this.port.close();
    void this.worker.terminate();
  }

  private post(req: WriterRequest, seq: number | undefined): void {
    if (this.stopped) {
      if (seq !== undefined) this.events.failed(seq, this.stopped);
      return;
    }
    this.posted++;
    this.port.ref(); // an answer is due: keep the process alive for it
    this.port.postMessage(req);
  }

  private onReply(r: WriterReply): void {
    this.answered += r.handled;
    if (this.answered >= this.posted) this.port.unref();
    switch (r.type) {
      case 'committed':
        this.events.committed(r.point);
        break;
      case 'failed':
        this.events.failed(r.through, r.message);
        break;
      default: {
        const never: never = r;
        throw new Error(`unknown writer reply ${JSON.stringify(never)}`);
      }
    }
  }

  private stop(message: string): void {
    if (this._stopped) return;
    this._stopped = message;
    this.port.unref();
    // Nothing more will be answered: whatever was in flight is refused (fail closed).
    this.events.failed(Number.MAX_SAFE_INTEGER, message);
  }
}

/** The thread when its script is there and the caller did not ask otherwise; inline otherwise. */
export function createWriter(
  kind: 'thread' | 'inline' | undefined,
  init: CommitterInit & { dbPath: string },
  events: WriterEvents,
): IBatchWriter {
  const entry = kind === 'inline' ? undefined : writerThreadEntry();
  if (!entry) {
    if (kind === 'thread')
      throw new AirlockError('AUDIT_WRITER_MISSING', 'the audit writer thread script is missing', 'rebuild the kernel (npm run build)');
    return new InlineWriter(init, events);
  }
  const { db: _inline, ...data } = init;
  return new ThreadWriter(entry, data, events);
}
