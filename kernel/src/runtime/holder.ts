// Who holds a session: an identity written on every container/volume label, and a check that it is still alive.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type { IContainerRuntime } from './types';

/**
 * This run of the kernel process. A kernel container restarted after a crash keeps its name, so its holder looks alive
 * again; what a previous run made carries another boot id (or manager session) and is swept (restart-sweep.ts).
 */
export const BOOT_ID = randomBytes(6).toString('hex');

/** `container:<id>` for a kernel in a container (bootstrap sets AIRLOCK_KERNEL_CONTAINER), else
 * `pid:<pid namespace>:<pid>:<start time>` so a reused pid is not mistaken for the old process. */
export function currentHolder(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AIRLOCK_KERNEL_CONTAINER) return `container:${env.AIRLOCK_KERNEL_CONTAINER}`;
  return `pid:${pidNamespace()}:${process.pid}:${startTime(process.pid) ?? 0}`;
}

function pidNamespace(): string {
  try {
    return fs.readlinkSync('/proc/self/ns/pid').replace(/\D/g, '');
  } catch {
    return '0';
  }
}

function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the parenthesised command name which may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export type Liveness = 'alive' | 'dead' | 'unknown';

export async function holderLiveness(holder: string | undefined, runtime: IContainerRuntime): Promise<Liveness> {
  if (!holder) return 'dead';
  const [kind, ...rest] = holder.split(':');
  if (kind === 'container') {
    try {
      return (await runtime.inspect(rest.join(':'))).running ? 'alive' : 'dead';
    } catch {
      return 'dead';
    }
  }
  if (kind === 'pid') {
    const [ns, pid, start] = rest;
    if (ns !== pidNamespace()) return 'unknown';
    return startTime(Number(pid)) === start ? 'alive' : 'dead';
  }
  return 'unknown';
}
