// Watches the ready kernel's sandbox health (sandbox/pools): images found, warm pools filled, for the status bar.
import type * as vscode from 'vscode';
import { AirlockError, formatError } from '../../../protocol/src/errors';
import type { Event, IDisposable } from '../../../protocol/src/lifecycle';
import { type SandboxCheck, sandboxChecks } from '../../../protocol/src/sandbox-health';
import { onKernelClient } from '../kernelEvents';
import type { KernelService } from './kernelService';

/** Pools fill in the background after a start, and a fill can fail later: look soon after ready, then now and then. */
const DELAYS_MS = [0, 5_000, 15_000];
const EVERY_MS = 60_000;

export function watchSandboxHealth(
  kernel: KernelService,
  log: vscode.LogOutputChannel,
  report: (checks: SandboxCheck[], client: object) => void,
  /** Look again now (e.g. the images were just prepared) instead of at the next tick. */
  refresh?: Event<void>,
): IDisposable {
  return onKernelClient(kernel, (client) => {
    let last = '';
    const look = async () => {
      try {
        const r = await client.request('sandbox/pools', {}, { timeoutMs: 30_000 });
        const checks = sandboxChecks(r.health, r.enabled);
        const key = JSON.stringify(checks);
        if (key !== last) for (const c of checks) if (!c.ok) log.warn(`sandboxes: ${c.detail}${c.hint ? ` (${c.hint})` : ''}`);
        last = key;
        report(checks, client);
      } catch (err) {
        // Unknown is not healthy: e.g. SANDBOX_NO_RUNTIME (no engine in the kernel) means no task can run.
        const e = AirlockError.from(err);
        log.warn(`could not read the sandboxes' health: ${formatError(e)}`);
        last = '';
        report([{ name: 'images', ok: false, status: 'sandboxes unavailable', detail: e.message, hint: e.hint, code: e.code }], client);
      }
    };
    const timers = DELAYS_MS.map((ms) => setTimeout(() => void look(), ms));
    const every = setInterval(() => void look(), EVERY_MS);
    const again = refresh?.(() => void look());
    return [
      {
        dispose: () => {
          timers.forEach(clearTimeout);
          clearInterval(every);
          again?.dispose();
        },
      },
    ];
  });
}
