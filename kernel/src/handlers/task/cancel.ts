// task/cancel: aborts the model request and running commands, stops the sandbox; no patch set is produced.
import type { Handler } from '../../../../protocol/src/rpc-server';
import { auditOf, recordThenAct } from '../../audit/record';
import type { KernelServices } from '../../services';
import { needTasks } from './need';

// Record, then act: the person's cancel is in the audit log before the task is stopped.
export const cancel = (s: KernelServices): Handler<'task/cancel'> => async ({ taskId }) => {
  const tasks = needTasks(s);
  return recordThenAct(auditOf(s), { session: taskId, subject: 'user', action: 'task.cancel', resource: taskId }, () => ({ cancelled: tasks.cancel(taskId) }));
};
