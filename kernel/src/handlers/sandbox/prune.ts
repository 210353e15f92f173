// sandbox/prune: destroys this kernel's sandboxes and sweeps orphans left by dead kernels.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needRuntime } from './need-runtime';

export const prune = (s: KernelServices): Handler<'sandbox/prune'> => async () => {
  const r = await needRuntime(s).prune();
  return { destroyed: r.destroyed, containers: r.swept.containers, volumes: r.swept.volumes };
};
