// How a chat task ends without its `finished` event: the kernel went away, or no model could be picked.
import type { KernelService } from '../kernel/kernelService';

/** The kernel could not pick a model: no provider configured, or its key is missing. */
export function noModel(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === 'PROVIDER_NO_KEY' || /no provider given and none configured|needs a base URL/.test(e.message ?? '');
}

/** Why a kernel state ends the tasks running in it, in words for the session's notice. */
export function interruptReason(st: KernelService['state']): string {
  switch (st.type) {
    case 'restarting':
      return `the kernel stopped and is restarting (${st.reason})`;
    case 'failed':
      return `the kernel failed (${st.error.message})`;
    case 'stopped':
      return 'the kernel stopped';
    case 'starting':
    case 'idle':
      return 'the kernel restarted';
    case 'ready':
      return 'the kernel reconnected';
    default: {
      const never: never = st;
      return String(never);
    }
  }
}
