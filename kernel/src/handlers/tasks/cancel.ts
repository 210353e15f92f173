// tasks/cancel: cancels a task (running work is aborted; dependents are cancelled too).
import type { Handler } from '../../../../protocol/src/rpc-server';
import { auditOf, recordThenAct } from '../../audit/record';
import type { KernelServices } from '../../services';
import { needScheduler } from './need';

export const cancel = (s: KernelServices): Handler<'tasks/cancel'> => (params) => {
  const sch = needScheduler(s);
  const reason = params.reason ?? 'cancelled by a person';
  // Record, then act: the scheduler changes only once the person's cancel is in the audit log.
  return recordThenAct(auditOf(s), { session: params.id, subject: 'user', action: 'tasks.cancel', resource: params.id, payload: { reason } },
    () => ({ task: sch.cancel(params.id, reason) }));
};
