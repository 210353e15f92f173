// task/cancel: aborts the model request and running commands, stops the sandbox; no patch set is produced.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needTasks } from './need';

export const cancel = (s: KernelServices): Handler<'task/cancel'> => ({ taskId }) => ({ cancelled: needTasks(s).cancel(taskId) });
