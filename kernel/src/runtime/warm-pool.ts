// A warm pool of ready sandboxes for one template, refilled in the background after each take.
import { Disposable } from '../../../protocol/src/lifecycle';
import type { Sandbox } from './sandbox';
import type { SandboxTemplate } from '../../../core/src/templates';

const RETRY_MIN_MS = 5_000;
const RETRY_MAX_MS = 60_000;

export class WarmPool extends Disposable {
  private readonly ready: Sandbox[] = [];
  private filling?: Promise<void>;
  private stopped = false;
  /** How many ready sandboxes to keep: the template's pool.size until resized at runtime (sandbox/pools). */
  private target: number;
  /** Last error met while filling (e.g. no image yet); the pool retries on the next take and on its own, backing off
   * from 5 s to a minute, so building the missing image is enough (no kernel restart). */
  lastError?: Error;
  private retryTimer?: NodeJS.Timeout;
  private retryMs: number;

  constructor(
    readonly template: SandboxTemplate,
    private readonly make: () => Promise<Sandbox>,
    private readonly discard: (s: Sandbox) => Promise<unknown>,
    private readonly retry = { minMs: RETRY_MIN_MS, maxMs: RETRY_MAX_MS },
  ) {
    super();
    this.target = template.pool.size;
    this.retryMs = retry.minMs;
  }

  get size(): number {
    return this.ready.length;
  }
  get targetSize(): number {
    return this.target;
  }

  /** Sets the target: surplus ready sandboxes are discarded now (awaited), a larger pool fills in the background. */
  async resize(n: number): Promise<void> {
    this.target = n;
    const surplus = this.ready.splice(n);
    if (n > this.ready.length) void this.fill();
    await Promise.all(surplus.map((s) => this.discard(s).catch(() => undefined)));
  }

  fill(): Promise<void> {
    this.filling ??= (async () => {
      try {
        while (!this.stopped && this.ready.length < this.target) {
          const s = await this.make();
          // Stopped or shrunk while this one was being made: it is surplus.
          if (this.stopped || this.ready.length >= this.target) {
            await this.discard(s);
            break;
          }
          this.ready.push(s);
        }
        this.lastError = undefined;
        this.retryMs = this.retry.minMs;
      } catch (err) {
        this.lastError = err as Error;
        this.scheduleRetry();
      } finally {
        this.filling = undefined;
      }
    })();
    return this.filling;
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.fill();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, this.retry.maxMs);
  }

  /** A ready sandbox if one is waiting (synchronous: this is the fast path), and a refill in the background. */
  take(): Sandbox | undefined {
    let s: Sandbox | undefined;
    while ((s = this.ready.shift()) && s.lifecycle.state !== 'ready') {
      /* died while waiting: skip it */
    }
    void this.fill();
    return s;
  }

  /** Takes a used sandbox back when there is room; false means the caller destroys it. */
  put(s: Sandbox): boolean {
    // Sandboxes that died or were destroyed while waiting do not take up room.
    for (let i = this.ready.length - 1; i >= 0; i--) if (this.ready[i].lifecycle.state !== 'ready') this.ready.splice(i, 1);
    if (this.stopped || this.ready.length >= this.target) return false;
    this.ready.push(s);
    return true;
  }

  override dispose(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const s of this.ready.splice(0)) void this.discard(s).catch(() => {});
    super.dispose();
  }
}
