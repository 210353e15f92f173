// tasks/pause: a person pauses a task (running sandboxes are paused or the task is requeued, per its template).
import type { Handler } from '../../../../protocol/src/rpc-server';
import { recordThenAct } from '../../audit/record';
import type { AuditWriter, KernelServices } from '../../services';

export const pause =
  (s: Pick<KernelServices, 'scheduler'> & AuditWriter): Handler<'tasks/pause'> =>
  (params) => {
    const sch = s.scheduler;
    // Record, then act: the scheduler changes only once the person's pause is in the audit log.
    return recordThenAct(
      () => s.audit.writer,
      { session: params.id, subject: 'user', action: 'tasks.pause', resource: params.id },
      () => ({ task: sch.pause(params.id) }),
    );
  };
