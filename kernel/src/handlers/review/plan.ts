// review/plan: plans the merge of accepted hunks against the workspace as it is now (three-way where it changed).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const plan = (s: Pick<KernelServices, 'patches'>): Handler<'review/plan'> => (params, ctx) => s.patches.plan(params.id, ctx.signal);
