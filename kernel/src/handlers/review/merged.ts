// review/merged: the host reports a merge or undo it performed; audited, and it moves the set's status.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const merged = (s: Pick<KernelServices, 'patches'>): Handler<'review/merged'> => async (params) => {
  const { id, ...m } = params;
  return { status: await s.patches.merged(id, m) };
};
