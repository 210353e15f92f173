// review/show: one patch set with its decisions so far.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const show = (s: Pick<KernelServices, 'patches'>): Handler<'review/show'> => (params) => {
  const st = s.patches.show(params.id);
  return { set: st.set, review: st.review, done: st.done };
};
