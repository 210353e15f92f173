// A deterministic clock for scheduler simulations: timers fire in time order, microtasks settle between them.
import type { Clock } from '../../../kernel/src/scheduler/types';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  dead: boolean;
}

export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void) {
    const tm: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, dead: false };
    this.timers.push(tm);
    return {
      dispose: () => {
        tm.dead = true;
      },
    };
  }

  /** Fires every timer due by `until` (in order, settling promises after each), then sets the time to `until`. */
  async advanceTo(until: number): Promise<void> {
    await flush();
    for (;;) {
      this.timers = this.timers.filter((x) => !x.dead);
      let next: Timer | undefined;
      for (const x of this.timers) if (x.at <= until && (!next || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = x;
      if (!next) break;
      next.dead = true;
      this.t = next.at;
      next.fn();
      await flush();
    }
    this.t = Math.max(this.t, until);
  }

  /** Resolves after `ms` of virtual time. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        d.dispose();
        reject(signal!.reason);
      };
      const d = this.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
