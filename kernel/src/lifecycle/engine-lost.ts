// The kernel lost its engine: the engine dropped its sandbox streams (runtime/engine-drop.ts), or the engine's socket
// refuses every connection. Both follow a restarted Podman service (its containers run on under conmon) or a Docker
// with live-restore: the service makes its socket anew, and the kernel's bind mount still holds the old one, so it can
// never reach the engine again. The kernel records `kernel.engine-lost` and exits; bootstrap starts it again (the
// mount then takes the new socket), and the restarted kernel marks its in-flight tasks interrupted and sweeps what the
// old run held, as after a Docker restart, which stops the kernel itself (docs/recovery.md).
import { type IDisposable, toDisposable } from '../../../protocol/src/lifecycle';
import { ENGINE_LOST_EXIT } from '../../../core/src/engine/container-end';
import { SandboxManager } from '../runtime/sandbox-manager';
import type { KernelServices } from '../services';
import { recordedStop } from './recorded-stop';

/** The engine's socket is asked this often whether it still takes connections (one cheap `_ping`). */
export const ENGINE_PING_MS = 5_000;
/** Refused this many times in a row (15 s): a socket left behind, not a blip. */
const REFUSED_IN_A_ROW = 3;
/** Removing sandboxes through an engine that may be gone is tried this long; the rest is the next start's sweep. */
const ENGINE_LOST_BOUND_MS = 5_000;

/** A refused or missing socket: the engine is not there (a slow engine, which only takes long, is not counted). */
export function socketRefused(e: unknown): boolean {
  return /ECONNREFUSED|ENOENT/.test((e as Error)?.message ?? '');
}

export function watchEngine(
  k: { services: KernelServices; dispose(): void },
  exit: (code: number) => void,
  log: (l: string) => void,
  pingMs = ENGINE_PING_MS,
): IDisposable | undefined {
  const rt = k.services.runtime;
  if (!(rt instanceof SandboxManager)) return undefined;
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    log(`the kernel lost its container engine (${why}): stopping for a clean restart`);
    const entry = { action: 'kernel.engine-lost', payload: { why } };
    void recordedStop(k.services, entry, () => k.dispose(), log, ENGINE_LOST_BOUND_MS).then(
      () => exit(ENGINE_LOST_EXIT),
      () => exit(ENGINE_LOST_EXIT),
    );
  };
  const dropped = rt.onDidLoseEngine((d) => stop(`it dropped the sandboxes' streams: ${d.why}`));
  let refused = 0;
  let asking = false;
  const timer = setInterval(() => {
    if (asking) return; // a ping that hangs is not stacked on
    asking = true;
    rt.runtime.ping().then(
      () => {
        asking = false;
        refused = 0;
      },
      (e: Error) => {
        asking = false;
        refused = socketRefused(e) ? refused + 1 : 0;
        if (refused >= REFUSED_IN_A_ROW) stop(`its socket refused ${refused} connections in a row: ${e.message}`);
      },
    );
  }, pingMs);
  timer.unref();
  return toDisposable(() => {
    dropped.dispose();
    clearInterval(timer);
  });
}
