// task/approve: answers an approval request (allow once, allow for the session through a capability token, deny).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needTasks } from './need';

export const approve = (s: KernelServices): Handler<'task/approve'> => async ({ taskId, requestId, decision }) => ({ accepted: await needTasks(s).approve(taskId, requestId, decision) });
