// tasks/cancel: cancels a task (running work is aborted; dependents are cancelled too).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needScheduler } from './need';

export const cancel = (s: KernelServices): Handler<'tasks/cancel'> => (params) => {
  const sch = needScheduler(s);
  return { task: sch.cancel(params.id, params.reason ?? 'cancelled by a person') };
};
