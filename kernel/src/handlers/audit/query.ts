// audit/query: one page of audit entries, newest first by default, with filters (the audit view's table).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { AuditWriter } from '../../services';

export const query =
  (s: AuditWriter): Handler<'audit/query'> =>
  (params) =>
    s.audit.writer.query(params);
