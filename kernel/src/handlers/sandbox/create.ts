// sandbox/create: a ready sandbox from a template (from the warm pool when the request needs nothing special).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const create =
  (s: Pick<KernelServices, 'runtime'>): Handler<'sandbox/create'> =>
  (p, ctx) =>
    s.runtime.create({ ...p, signal: ctx.signal });
