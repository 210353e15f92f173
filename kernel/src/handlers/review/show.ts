// review/show: one patch set with its decisions so far and its last verify-before-merge result.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { acceptedTreeDigest } from '../../patches/verify-tree';

export const show =
  (s: Pick<KernelServices, 'patches'>): Handler<'review/show'> =>
  async (params, ctx) => {
    const st = s.patches.show(params.id);
    const v = st.verification;
    // Whether the verification still describes what a merge would write now (decisions or the workspace may have moved).
    const current =
      v && st.set.status === 'pending' ? acceptedTreeDigest(await s.patches.plan(params.id, ctx.signal)) === v.treeDigest : undefined;
    return {
      set: st.set,
      review: st.review,
      done: st.done,
      ...(v ? { verification: v } : {}),
      ...(current !== undefined ? { verificationCurrent: current } : {}),
    };
  };
