// Waits for a container engine that stopped answering (restarting, upgrading) before a kernel restart is attempted.
/** How long a kernel supervisor waits for its engine to answer again before giving up (an engine restart takes seconds). */
export const ENGINE_WAIT_MS = 120_000;

export interface EngineWaitOptions {
  deadlineMs: number;
  /** Called once, when the first ping fails (to say what is being waited for). */
  onWaiting?: () => void;
  /** Stops waiting early (the owner was disposed). */
  stopped?: () => boolean;
  intervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** True as soon as `ping` answers (at once when the engine is up), false when the deadline passes or waiting stops. */
export async function waitForEngine(ping: () => Promise<unknown>, o: EngineWaitOptions): Promise<boolean> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const end = now() + o.deadlineMs;
  for (let first = true; ; first = false) {
    if (
      await ping().then(
        () => true,
        () => false,
      )
    )
      return true;
    if (first) o.onWaiting?.();
    if (o.stopped?.() || now() >= end) return false;
    await sleep(o.intervalMs ?? 500);
  }
}

/**
 * One outage of the engine as a kernel supervisor meets it: pings that fail, or an engine that still answers while it
 * shuts down but refuses to start containers. Time spent in it is not counted as kernel restarts, up to `deadlineMs`.
 */
export class EngineOutage {
  private since?: number;

  constructor(
    private readonly ping: () => Promise<unknown>,
    private readonly o: Omit<EngineWaitOptions, 'onWaiting'>,
  ) {}

  /** Before an attempt: true once the engine answers (waiting through the outage), false when it has been away too long. */
  async available(onWaiting: () => void): Promise<boolean> {
    const now = this.o.now ?? Date.now;
    const left = this.o.deadlineMs - (this.since === undefined ? 0 : now() - this.since);
    if (left <= 0) return false;
    return waitForEngine(this.ping, {
      ...this.o,
      deadlineMs: left,
      onWaiting: () => {
        this.since ??= now();
        onWaiting();
      },
    });
  }

  /** The engine refused to act (shutting down, restarting): outage time, then a pause before the next attempt. */
  async refused(): Promise<void> {
    this.since ??= (this.o.now ?? Date.now)();
    await (this.o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))))(1_000);
  }

  /** The engine did what was asked: the outage is over. */
  ended(): void {
    this.since = undefined;
  }
}
