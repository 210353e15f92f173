// tasks/resume: puts a task a person paused back in the queue.
import type { Handler } from '../../../../protocol/src/rpc-server';
import { auditOf, recordThenAct } from '../../audit/record';
import type { KernelServices } from '../../services';
import { needScheduler } from './need';

export const resume = (s: KernelServices): Handler<'tasks/resume'> => (params) => {
  const sch = needScheduler(s);
  // Record, then act: the scheduler changes only once the person's resume is in the audit log.
  return recordThenAct(auditOf(s), { session: params.id, subject: 'user', action: 'tasks.resume', resource: params.id }, () => ({ task: sch.resume(params.id) }));
};
