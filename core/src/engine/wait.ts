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
    if (await ping().then(() => true, () => false)) return true;
    if (first) o.onWaiting?.();
    if (o.stopped?.() || now() >= end) return false;
    await sleep(o.intervalMs ?? 500);
  }
}
