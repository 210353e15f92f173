// task/start: checks the audit chain, picks the provider, queues the task; progress arrives as task/event events.
import type { Handler } from '../../../../protocol/src/rpc-server';
import { applyManagedToTask } from '../../managed';
import type { KernelServices } from '../../services';

// Managed settings are enforced here, whatever client sent the task (the CLI and the extension check them too).
export const start = (s: Pick<KernelServices, 'tasks' | 'config'>): Handler<'task/start'> => (params, ctx) =>
  s.tasks.start(s.config.managed ? applyManagedToTask(s.config.managed, params) : params, ctx.connection);
