// Starts or reuses the workspace's kernel for a CLI command, with progress on stderr.
import { KernelSupervisor } from '../../bootstrap';
import type { CliIO } from './command';

export async function withKernel<T>(io: CliIO, workspace: string | undefined, fn: (sup: KernelSupervisor) => Promise<T>): Promise<T> {
  const sup = await KernelSupervisor.start({ workspace: workspace ?? io.cwd }, { progress: (l) => io.err(`airlock: ${l}`) });
  try {
    return await fn(sup);
  } finally {
    sup.dispose(); // The kernel container keeps running for the next command; only our connection closes.
  }
}
