// task/cancel: aborts the model request and running commands, stops the sandbox; no patch set is produced.
import type { Handler } from '../../../../protocol/src/rpc-server';
import { recordThenAct } from '../../audit/record';
import type { TaskService } from '../../agent/task-service';
import type { AuditWriter } from '../../services';

// Record, then act: the person's cancel is in the audit log before the task is stopped.
export const cancel =
  (s: AuditWriter & { tasks: Pick<TaskService, 'cancel'> }): Handler<'task/cancel'> =>
  async ({ taskId }) =>
    recordThenAct(
      () => s.audit.writer,
      { session: taskId, subject: 'user', action: 'task.cancel', resource: taskId },
      () => ({ cancelled: s.tasks.cancel(taskId) }),
    );
