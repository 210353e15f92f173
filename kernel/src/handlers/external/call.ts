// external/call: one tool call of an external session through the task pipeline (gate, policy, audit, run, sanitise).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const call =
  (s: Pick<KernelServices, 'external'>): Handler<'external/call'> =>
  async ({ session, tool, arguments: args }) =>
    s.external.call(session, tool, args);
