// plugins/approve: the person approves a verified plugin at its content hash (audited, then started).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const approve =
  (s: Pick<KernelServices, 'plugins'>): Handler<'plugins/approve'> =>
  async (p) => ({ plugin: await s.plugins.approve(p.name, p.sha256) });
