// task/start: checks the audit chain, picks the provider, queues the task; progress arrives as task/event events.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needTasks } from './need';

export const start = (s: KernelServices): Handler<'task/start'> => (params, ctx) => needTasks(s).start(params, ctx.connection);
