// external/approve: the person's answer (asked by the MCP client) to a call waiting on an `ask` decision.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const approve =
  (s: Pick<KernelServices, 'external'>): Handler<'external/approve'> =>
  async ({ session, requestId, decision }) =>
    s.external.approve(session, requestId, decision);
