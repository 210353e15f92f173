// task/start: checks the audit chain, picks the provider, queues the task; progress arrives as task/event events.
import type { Handler } from '../../../../protocol/src/rpc-server';
import { applyManagedToTask } from '../../managed';
import type { KernelServices } from '../../services';

// Managed settings are enforced here, whatever client sent the task (the CLI and the extension check them too); the
// session is stored from the start so its transcript can be listed, shown and exported (`airlock sessions`).
export const start =
  (s: Pick<KernelServices, 'tasks' | 'config' | 'sessions'>): Handler<'task/start'> =>
  async (params, ctx) => {
    const p = s.config.managed ? applyManagedToTask(s.config.managed, params) : params;
    const started = await s.tasks.start(p, ctx.connection);
    s.sessions.started({
      taskId: started.taskId,
      prompt: p.prompt,
      provider: started.provider,
      model: started.model,
      mode: p.mode,
      continues: p.continues,
    });
    return started;
  };
