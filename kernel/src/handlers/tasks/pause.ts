// tasks/pause: a person pauses a task (running sandboxes are paused or the task is requeued, per its template).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needScheduler } from './need';

export const pause = (s: KernelServices): Handler<'tasks/pause'> => (params) => {
  const sch = needScheduler(s);
  return { task: sch.pause(params.id) };
};
