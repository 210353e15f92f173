// review/decide: records accept/reject of files or hunks (audited); writes nothing.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const decide =
  (s: Pick<KernelServices, 'patches'>): Handler<'review/decide'> =>
  async (params) => {
    const review = await s.patches.decide(params);
    return { review, status: s.patches.show(params.setId).set.status };
  };
