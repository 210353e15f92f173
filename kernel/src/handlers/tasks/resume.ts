// tasks/resume: puts a task a person paused back in the queue.
import type { Handler } from '../../../../protocol/src/rpc-server';
import { recordThenAct } from '../../audit/record';
import type { AuditWriter, KernelServices } from '../../services';

export const resume =
  (s: Pick<KernelServices, 'scheduler'> & AuditWriter): Handler<'tasks/resume'> =>
  (params) => {
    const sch = s.scheduler;
    // Record, then act: the scheduler changes only once the person's resume is in the audit log.
    return recordThenAct(
      () => s.audit.writer,
      { session: params.id, subject: 'user', action: 'tasks.resume', resource: params.id },
      () => ({ task: sch.resume(params.id) }),
    );
  };
