// review/plan: plans the merge of accepted hunks against the workspace as it is now (three-way where it changed).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { patches } from './service';

export const plan = (s: KernelServices): Handler<'review/plan'> => (params, ctx) => patches(s).plan(params.id, ctx.signal);
