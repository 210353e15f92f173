// task/start: checks the audit chain, picks the provider, queues the task; progress arrives as task/event events.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const start = (s: Pick<KernelServices, 'tasks'>): Handler<'task/start'> => (params, ctx) => s.tasks.start(params, ctx.connection);
