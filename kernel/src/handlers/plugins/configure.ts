// plugins/configure: the plugins the host found (workspace, user folder, built-ins), verified and started when approved.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const configure =
  (s: Pick<KernelServices, 'plugins'>): Handler<'plugins/configure'> =>
  async (p) => ({ plugins: await s.plugins.configure(p.plugins) });
