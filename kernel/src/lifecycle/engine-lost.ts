// The engine dropped the kernel's sandbox streams (runtime/engine-drop.ts: a restarted Podman service, Docker with
// live-restore): the kernel records `kernel.engine-lost`, removes what sandboxes it still can and exits, so bootstrap
// starts it again on the engine as it is now. Its in-flight tasks are then marked interrupted and what it held is swept,
// exactly as after a Docker restart, which stops the kernel itself (docs/recovery.md).
import type { IDisposable } from '../../../protocol/src/lifecycle';
import { ENGINE_LOST_EXIT } from '../../../core/src/engine/container-end';
import { SandboxManager } from '../runtime/sandbox-manager';
import type { KernelServices } from '../services';
import { recordedStop } from './recorded-stop';

/** The engine may be down or half up: removing sandboxes is tried this long, the rest is the next start's sweep. */
const ENGINE_LOST_BOUND_MS = 10_000;

export function watchEngine(
  k: { services: KernelServices; dispose(): void },
  exit: (code: number) => void,
  log: (l: string) => void,
): IDisposable | undefined {
  const rt = k.services.runtime;
  if (!(rt instanceof SandboxManager)) return undefined;
  return rt.onDidLoseEngine((d) => {
    log(`the container engine dropped the kernel's sandbox streams (${d.why}): stopping for a clean restart`);
    void recordedStop(
      k.services,
      { action: 'kernel.engine-lost', payload: { why: d.why } },
      () => k.dispose(),
      log,
      ENGINE_LOST_BOUND_MS,
    ).then(
      () => exit(ENGINE_LOST_EXIT),
      () => exit(ENGINE_LOST_EXIT),
    );
  });
}
