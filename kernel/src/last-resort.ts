// The kernel's last line of defence: an error nobody caught is logged and the kernel keeps serving, unless they storm.
import { formatError } from '../../protocol/src/errors';

/** More uncaught errors than this within a minute means the kernel's state can no longer be trusted: exit, and
 * bootstrap restarts it (a clean restart beats a kernel that answers from broken state). */
export const MAX_UNCAUGHT_PER_MINUTE = 20;

export interface LastResortDeps {
  log: (line: string) => void;
  exit: (code: number) => void;
  now?: () => number;
}

/** Returns the handler; `install` wires it to the process. A rejected promise has already failed its own operation
 * (its caller sees the rejection or nobody awaited it); an uncaught exception from an event callback cannot be
 * traced to one request, so it is logged with its stack and the callback's operation is lost, not the kernel. */
export function lastResortHandler(deps: LastResortDeps): (err: unknown, origin: string) => void {
  const recent: number[] = [];
  const now = deps.now ?? Date.now;
  return (err, origin) => {
    const t = now();
    recent.push(t);
    while (recent.length && recent[0]! < t - 60_000) recent.shift();
    const stack = err instanceof Error && err.stack ? `\n${err.stack.split('\n').slice(1, 8).join('\n')}` : '';
    deps.log(`airlock kernel: ${origin}: ${formatError(err)}${stack}`);
    if (recent.length > MAX_UNCAUGHT_PER_MINUTE) {
      deps.log(`airlock kernel: ${recent.length} uncaught errors within a minute; exiting so the kernel is restarted clean`);
      deps.exit(70);
    }
  };
}

export function installLastResort(deps: LastResortDeps): void {
  const handle = lastResortHandler(deps);
  process.on('uncaughtException', (err) => handle(err, 'uncaught exception'));
  process.on('unhandledRejection', (reason) => handle(reason, 'unhandled rejection'));
}
