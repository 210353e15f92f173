// tasks/list: every known task (queued, running, paused, recently finished) with the scheduler's limits and use.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needScheduler } from './need';

export const list = (s: KernelServices): Handler<'tasks/list'> => (params) => {
  const sch = needScheduler(s);
  return { tasks: sch.list(params.states), limits: sch.limits, inUse: sch.inUse };
};
