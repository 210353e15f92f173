// plugins/list: each plugin's state (a refused or crashed one shows `failed` with the reason).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const list =
  (s: Pick<KernelServices, 'plugins'>): Handler<'plugins/list'> =>
  async () => ({ plugins: s.plugins.list() });
