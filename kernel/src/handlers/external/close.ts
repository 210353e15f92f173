// external/close: ends an external session; its edits become a patch set for review (`patches/ready`).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const close =
  (s: Pick<KernelServices, 'external'>): Handler<'external/close'> =>
  async ({ session }) =>
    s.external.close(session);
