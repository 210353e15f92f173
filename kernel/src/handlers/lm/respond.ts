// lm/respond: a slice of the extension host's answer to an lm/request (provider vscode-lm), checked by the task's bridge.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

// Model output is data like any provider's stream: the schema validated each event, the bridge caps the sizes and
// takes slices only from the connection that answered first.
export const respond =
  (s: Pick<KernelServices, 'tasks'>): Handler<'lm/respond'> =>
  async (p, ctx) => ({ accepted: s.tasks.lm.respond(p, ctx.connection) });
