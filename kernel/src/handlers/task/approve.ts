// task/approve: answers an approval request (allow once, allow for the session through a capability token, deny).
import type { Handler } from '../../../../protocol/src/rpc-server';
import { auditOf, recordThenAct } from '../../audit/record';
import type { KernelServices } from '../../services';
import { needTasks } from './need';

// Record, then act: the person's answer is durable in the audit log before the task hears it (or a grant is made).
export const approve = (s: KernelServices): Handler<'task/approve'> => async ({ taskId, requestId, decision, note }) => {
  const tasks = needTasks(s);
  const entry = { session: taskId, subject: 'user', action: 'task.approve', resource: requestId, decision, payload: { requestId, decision, ...(note ? { note } : {}) } };
  return { accepted: await recordThenAct(auditOf(s), entry, () => tasks.approve(taskId, requestId, decision)) };
};
