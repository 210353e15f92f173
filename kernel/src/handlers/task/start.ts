// task/start: checks the audit chain, picks the provider, queues the task; progress arrives as task/event events.
import { AirlockError } from '../../../../protocol/src/errors';
import type { Handler } from '../../../../protocol/src/rpc-server';
import { applyManagedToTask } from '../../managed';
import type { KernelServices } from '../../services';

// Managed settings are enforced here, whatever client sent the task (the CLI and the extension check them too); the
// session is stored before the task can emit anything, so its transcript is whole and can be listed, shown and exported
// (`airlock sessions`).
export const start =
  (s: Pick<KernelServices, 'tasks' | 'config' | 'sessions'>): Handler<'task/start'> =>
  async (params, ctx) => {
    const p = s.config.managed ? applyManagedToTask(s.config.managed, params) : params;
    let stored: string | undefined;
    try {
      return await s.tasks.start(p, ctx.connection, (t) => {
        s.sessions.started({ ...t, prompt: p.prompt, mode: p.mode, continues: p.continues });
        stored = t.taskId;
      });
    } catch (err) {
      if (stored) s.sessions.notStarted(stored, AirlockError.from(err).message);
      throw err;
    }
  };
