// task/approve: answers an approval request (allow once, allow for the session through a capability token, deny).
import type { Handler } from '../../../../protocol/src/rpc-server';
import { recordThenAct } from '../../audit/record';
import type { TaskService } from '../../agent/task-service';
import type { AuditWriter } from '../../services';

// Record, then act: the person's answer is durable in the audit log before the task hears it (or a grant is made).
// The note (a deny's reason) goes to the task too: the model gets it as the call's result (pipeline.ts enforce).
export const approve =
  (s: AuditWriter & { tasks: Pick<TaskService, 'approve'> }): Handler<'task/approve'> =>
  async ({ taskId, requestId, decision, note }) => {
    const entry = {
      session: taskId,
      subject: 'user',
      action: 'task.approve',
      resource: requestId,
      decision,
      payload: { requestId, decision, ...(note ? { note } : {}) },
    };
    return {
      accepted: await recordThenAct(
        () => s.audit.writer,
        entry,
        () => s.tasks.approve(taskId, requestId, decision, note),
      ),
    };
  };
