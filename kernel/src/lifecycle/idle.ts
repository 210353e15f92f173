// Idle shutdown: with no client connected and no task queued or running for the configured time, the kernel records
// `kernel.idle-stop`, destroys its sandboxes (warm pools included) and exits; bootstrap starts it again on demand.
import { Disposable, toDisposable } from '../../../protocol/src/lifecycle';
import type { KernelServer } from '../ipc/server';
import type { KernelServices } from '../services';
import { recordedStop, STOP_SANDBOXES_BOUND_MS } from './recorded-stop';

/** Scheduler states that keep the kernel up (a paused task resumes; an approval pending is a running task). */
const BUSY_STATES = ['waiting', 'queued', 'running', 'paused'] as const;

/** AIRLOCK_KERNEL_IDLE_MINUTES (config key `kernel.idleMinutes`): 0 or unset never stops; fractions are allowed. */
export function idleMsFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const v = env.AIRLOCK_KERNEL_IDLE_MINUTES;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? Math.round(n * 60_000) : undefined;
}

export interface IdleOptions {
  idleMs: number;
  /** Why the kernel is not idle now, or undefined when it is. */
  busy(): string | undefined;
  onIdle(): void;
  now?(): number;
}

/** Fires `onIdle` once, after `idleMs` in which every check found the kernel idle. */
export class IdleMonitor extends Disposable {
  private since: number;
  private fired = false;

  constructor(private readonly o: IdleOptions) {
    super();
    this.since = this.now();
    // Checked often enough that the stop comes within a quarter of the idle time (at most every 30 s).
    const t = setInterval(() => this.check(), Math.max(250, Math.min(30_000, Math.floor(o.idleMs / 4))));
    t.unref();
    this._register(toDisposable(() => clearInterval(t)));
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  check(): void {
    if (this.fired || this._store.isDisposed) return;
    if (this.o.busy() !== undefined) {
      this.since = this.now();
      return;
    }
    if (this.now() - this.since < this.o.idleMs) return;
    this.fired = true;
    this.o.onIdle();
  }
}

export function kernelBusy(
  server: Pick<KernelServer, 'connectionCount' | 'waitingCount'>,
  services: Pick<KernelServices, 'scheduler'>,
): string | undefined {
  if (server.connectionCount + server.waitingCount > 0) return 'a client is connected';
  const tasks = services.scheduler.list([...BUSY_STATES]);
  return tasks.length ? `${tasks.length} task(s) queued or running` : undefined;
}

/** The idle stop: recorded first (synchronously), then every sandbox destroyed and the kernel disposed; `exit` ends it. */
export async function idleStop(
  services: Pick<KernelServices, 'audit' | 'runtime'>,
  idleMs: number,
  dispose: () => void,
  log: (l: string) => void,
  boundMs = STOP_SANDBOXES_BOUND_MS,
): Promise<void> {
  log(`kernel idle for ${Math.round(idleMs / 1000)} s (no client, no task): stopping`);
  await recordedStop(services, { action: 'kernel.idle-stop', payload: { idleMs } }, dispose, log, boundMs);
}

/** Watches a started kernel; undefined when idle shutdown is off. */
export function watchIdle(
  k: { server: KernelServer; services: KernelServices; dispose(): void },
  idleMs: number | undefined,
  exit: (code: number) => void,
  log: (l: string) => void,
): IdleMonitor | undefined {
  if (!idleMs) return undefined;
  return new IdleMonitor({
    idleMs,
    busy: () => kernelBusy(k.server, k.services),
    onIdle: () =>
      void idleStop(k.services, idleMs, () => k.dispose(), log).then(
        () => exit(0),
        () => exit(0),
      ),
  });
}
