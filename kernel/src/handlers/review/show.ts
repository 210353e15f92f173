// review/show: one patch set with its decisions so far.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { patches } from './service';

export const show = (s: KernelServices): Handler<'review/show'> => (params) => {
  const st = patches(s).show(params.id);
  return { set: st.set, review: st.review, done: st.done };
};
