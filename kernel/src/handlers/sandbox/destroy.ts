// sandbox/destroy: stops and removes a sandbox and its scratch volumes.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const destroy =
  (s: Pick<KernelServices, 'runtime'>): Handler<'sandbox/destroy'> =>
  ({ id }) =>
    s.runtime.destroy(id, 'requested');
