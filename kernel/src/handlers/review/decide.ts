// review/decide: records accept/reject of files or hunks (audited); writes nothing.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { patches } from './service';

export const decide = (s: KernelServices): Handler<'review/decide'> => async (params) => {
  const review = await patches(s).decide(params);
  return { review, status: patches(s).show(params.setId).set.status };
};
