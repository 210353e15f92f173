// plugins/remove: stops a plugin and forgets it (the host no longer offers it).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const remove =
  (s: Pick<KernelServices, 'plugins'>): Handler<'plugins/remove'> =>
  async (p) => ({ removed: await s.plugins.remove(p.name) });
