// sessions/list: stored task sessions, newest first.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const list =
  (s: Pick<KernelServices, 'sessions'>): Handler<'sessions/list'> =>
  (params) => ({ sessions: s.sessions.list(params.limit) });
