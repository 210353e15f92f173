// The audit log's group commit: when the buffered rows go to the writer, and which awaited appends each commit settles.
import type { AuditEntry } from '../../../protocol/src/audit';
import type { ChainTip } from './chain';
import type { IBatchWriter } from './writer';

/**
 * Batches handed to the writer and not yet answered before a flush waits: bounds what a crash can lose beyond the open
 * buffer (2 × maxBuffer entries) and the memory a burst can pile up, while the thread still overlaps with hashing.
 */
const MAX_IN_FLIGHT = 2;

interface Waiter {
  resolve(): void;
  reject(e: unknown): void;
}
/** A flushed batch the writer has not confirmed yet. */
interface InFlight {
  first: number;
  last: number;
  waiters: Waiter[];
  failed: boolean;
}

/**
 * Owned by the log (log.ts), which keeps the committed point and the write error: it reports the writer's answers here
 * (`confirmed`, `refuse`) so that each awaited append settles only once its own batch is committed or has failed.
 */
export class GroupCommit {
  private waiters: Waiter[] = [];
  private inFlight: InFlight[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  constructor(
    private readonly chain: ChainTip,
    private readonly writer: IBatchWriter,
    /** The seq the writer last confirmed (the log's `committed`). */
    private readonly committedSeq: () => number,
    private readonly maxBuffer: number,
    private readonly flushMs: number,
  ) {}

  /** A synchronous append: settles after the commit of the flush it joins (all such appends of one tick share it). */
  awaitDurable(entry: AuditEntry): Promise<AuditEntry> {
    return new Promise<AuditEntry>((resolve, reject) => {
      this.waiters.push({ resolve: () => resolve(entry), reject });
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        this.flushNow(true);
      });
    });
  }

  /** A buffered append: flushed at maxBuffer entries or after flushMs, whichever comes first. */
  schedule(): void {
    if (this.chain.buffered >= this.maxBuffer) this.flushNow(false);
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushNow(false);
      }, this.flushMs);
      this.timer.unref();
    }
  }

  /** Hands everything buffered to the writer as one batch; `durable` = synchronous=FULL for its commit (one fsync). */
  flushNow(wantDurable: boolean): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const waiters = this.waiters;
    this.waiters = [];
    if (this.chain.buffered === 0) {
      // Nothing new; what a failed commit left behind is written again (the writer keeps it, in order).
      if (this.committedSeq() < this.chain.lastSeq && this.inFlight.every((b) => b.failed)) this.writer.retry();
      for (const w of waiters) w.resolve();
      return;
    }
    const batch: InFlight = { first: this.chain.lastSeq - this.chain.buffered + 1, last: this.chain.lastSeq, waiters, failed: false };
    const text = this.chain.take();
    this.inFlight.push(batch);
    // Any flush that carries a synchronous entry is a durable one, whoever triggered it.
    this.writer.submit({
      text,
      target: { seq: this.chain.lastSeq, hash: this.chain.lastHash },
      durable: wantDurable || waiters.length > 0,
    });
    try {
      this.writer.drain(MAX_IN_FLIGHT);
    } catch {
      /* a stopped writer already refused the batch through onFailed; the next append says why */
    }
  }

  /** The writer committed through `seq`: every batch it covers settles. */
  confirmed(seq: number): void {
    let done = 0;
    while (done < this.inFlight.length && this.inFlight[done].last <= seq) done++;
    for (const b of this.inFlight.splice(0, done)) for (const w of b.waiters) w.resolve();
  }

  /** Fail closed: whoever awaits an entry through `through` hears `err`; the entries stay with the writer for the retry. */
  refuse(through: number, err: Error): void {
    for (const b of this.inFlight) {
      if (b.first > through || b.failed) continue;
      b.failed = true;
      for (const w of b.waiters.splice(0)) w.reject(err);
    }
  }

  /** At dispose, before the database closes: the buffer is written and awaited appends settle. */
  close(): void {
    if (this.immediate) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
    try {
      this.flushNow(true);
      this.writer.drain();
    } catch {
      /* reported through onDidWarn */
    }
  }
}
