// review/list: summaries of patch sets, optionally by status.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const list =
  (s: Pick<KernelServices, 'patches'>): Handler<'review/list'> =>
  (params) => ({ sets: s.patches.list(params.status) });
