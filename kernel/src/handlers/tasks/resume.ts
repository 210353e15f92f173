// tasks/resume: puts a task a person paused back in the queue.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needScheduler } from './need';

export const resume = (s: KernelServices): Handler<'tasks/resume'> => (params) => {
  const sch = needScheduler(s);
  return { task: sch.resume(params.id) };
};
