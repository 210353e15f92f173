// review/plan: plans the merge of accepted hunks against the workspace as it is now (three-way where it changed); a
// policy that requires verify-before-merge refuses the plan unless the tests passed on exactly this accepted tree.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { mergeRefusal } from '../../patches/merge-gate';

export const plan =
  (s: Pick<KernelServices, 'patches' | 'policy'>): Handler<'review/plan'> =>
  async (params, ctx) => {
    const { plan: p, treeDigest } = await s.patches.planForMerge(params.id, ctx.signal);
    if (!p.ops.length) return p;
    const refusal = await mergeRefusal(s.policy, p, s.patches.show(params.id).verification, treeDigest, { signal: ctx.signal });
    if (refusal) throw refusal;
    return p;
  };
