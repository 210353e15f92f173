// external/open: another agent's session (`airlock mcp serve`) with an output volume, tools and workflow; closes with
// the connection.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const open =
  (s: Pick<KernelServices, 'external'>): Handler<'external/open'> =>
  async (params, ctx) =>
    s.external.open(params, ctx.connection);
