// sessions/delete: removes a stored transcript, recorded in the audit log before it is removed.
import type { Handler } from '../../../../protocol/src/rpc-server';
import { recordThenAct } from '../../audit/record';
import type { AuditWriter, KernelServices } from '../../services';

export const remove =
  (s: Pick<KernelServices, 'sessions'> & AuditWriter): Handler<'sessions/delete'> =>
  (params, ctx) =>
    recordThenAct(
      () => s.audit.writer,
      { session: params.taskId, subject: ctx.connection.client?.name ?? 'user', action: 'session.delete', resource: params.taskId },
      () => ({ deleted: s.sessions.delete(params.taskId) }),
    );
