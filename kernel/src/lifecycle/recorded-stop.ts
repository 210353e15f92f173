// A kernel stopping itself (idle, or its engine lost): recorded first, its sandboxes destroyed within a bound, disposed.
import { formatError } from '../../../protocol/src/errors';
import type { KernelServices } from '../services';
import { SandboxManager } from '../runtime/sandbox-manager';

/** How long the stop waits for its sandboxes to go: an engine that never answers (the kernel's engine client has no
 * timeout) must not keep a kernel up that decided to stop. What is left carries the kernel's holder label: the next
 * start's sweep, or `airlock gc`, removes it. */
export const STOP_SANDBOXES_BOUND_MS = 30_000;

export async function recordedStop(
  services: Pick<KernelServices, 'audit' | 'runtime'>,
  entry: { action: string; payload: Record<string, unknown> },
  dispose: () => void,
  log: (l: string) => void,
  boundMs = STOP_SANDBOXES_BOUND_MS,
): Promise<void> {
  try {
    if (services.audit.sessionsAllowed) {
      await services.audit.writer.append(
        { subject: 'kernel', action: entry.action, resource: 'kernel', payload: entry.payload },
        { sync: true },
      );
    }
  } catch (e) {
    log(`${entry.action} not recorded: ${formatError(e)}`);
  }
  if (services.runtime instanceof SandboxManager) {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((r) => {
      timer = setTimeout(() => {
        log(`sandboxes not all removed within ${boundMs / 1000} s: stopping anyway (the next start sweeps them)`);
        r();
      }, boundMs);
    });
    await Promise.race([services.runtime.shutdown().catch((e) => log(`sandbox shutdown: ${formatError(e)}`)), bound]);
    clearTimeout(timer);
  }
  dispose();
}
