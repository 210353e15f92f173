// sandbox/pools: shows or sets the warm pool size per template at runtime (the extension sends airlock.pool.*), with health.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const pools =
  (s: Pick<KernelServices, 'runtime'>): Handler<'sandbox/pools'> =>
  async (p) => {
    const rt = s.runtime;
    const sizes = p.sizes && Object.keys(p.sizes).length ? await rt.setPoolSizes(p.sizes) : rt.poolSizes();
    return { sizes, enabled: rt.poolsEnabled, health: await rt.health() };
  };
