// tasks/pause: a person pauses a task (running sandboxes are paused or the task is requeued, per its template).
import type { Handler } from '../../../../protocol/src/rpc-server';
import { auditOf, recordThenAct } from '../../audit/record';
import type { KernelServices } from '../../services';
import { needScheduler } from './need';

export const pause = (s: KernelServices): Handler<'tasks/pause'> => (params) => {
  const sch = needScheduler(s);
  // Record, then act: the scheduler changes only once the person's pause is in the audit log.
  return recordThenAct(auditOf(s), { session: params.id, subject: 'user', action: 'tasks.pause', resource: params.id }, () => ({ task: sch.pause(params.id) }));
};
