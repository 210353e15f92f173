// tasks/cancel: cancels a task (running work is aborted; dependents are cancelled too).
import type { Handler } from '../../../../protocol/src/rpc-server';
import { recordThenAct } from '../../audit/record';
import type { AuditWriter, KernelServices } from '../../services';

export const cancel =
  (s: Pick<KernelServices, 'scheduler'> & AuditWriter): Handler<'tasks/cancel'> =>
  (params) => {
    const sch = s.scheduler;
    const reason = params.reason ?? 'cancelled by a person';
    // Record, then act: the scheduler changes only once the person's cancel is in the audit log.
    return recordThenAct(
      () => s.audit.writer,
      { session: params.id, subject: 'user', action: 'tasks.cancel', resource: params.id, payload: { reason } },
      () => ({ task: sch.cancel(params.id, reason) }),
    );
  };
