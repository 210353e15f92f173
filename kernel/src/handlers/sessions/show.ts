// sessions/show: one stored session with its whole transcript.
import { AirlockError } from '../../../../protocol/src/errors';
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const SESSION_NOT_FOUND = 'SESSION_NOT_FOUND';

export const show =
  (s: Pick<KernelServices, 'sessions'>): Handler<'sessions/show'> =>
  (params) => {
    const session = s.sessions.get(params.taskId);
    if (!session)
      throw new AirlockError(SESSION_NOT_FOUND, `no stored session ${params.taskId}`, '`airlock sessions list` shows the stored sessions');
    return { session, events: s.sessions.events(params.taskId) };
  };
