// sandbox/create: a ready sandbox from a template (from the warm pool when the request needs nothing special).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needRuntime } from './need-runtime';

export const create = (s: KernelServices): Handler<'sandbox/create'> => (p, ctx) =>
  needRuntime(s).create({ ...p, signal: ctx.signal });
