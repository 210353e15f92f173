// plugins/logs: a plugin's audited lifecycle and the last lines its process wrote to stderr.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const logs =
  (s: Pick<KernelServices, 'plugins'>): Handler<'plugins/logs'> =>
  async (p) => ({ lines: s.plugins.logs(p.name) });
