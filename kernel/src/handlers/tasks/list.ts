// tasks/list: every known task (queued, running, paused, recently finished) with the scheduler's limits and use.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const list =
  (s: Pick<KernelServices, 'scheduler'>): Handler<'tasks/list'> =>
  (params) => {
    const sch = s.scheduler;
    return { tasks: sch.list(params.states), limits: sch.limits, inUse: sch.inUse };
  };
