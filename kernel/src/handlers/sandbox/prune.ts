// sandbox/prune: destroys this kernel's sandboxes and sweeps orphans left by dead kernels.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const prune =
  (s: Pick<KernelServices, 'runtime'>): Handler<'sandbox/prune'> =>
  async () => {
    const r = await s.runtime.prune();
    return { destroyed: r.destroyed, containers: r.swept.containers, volumes: r.swept.volumes };
  };
