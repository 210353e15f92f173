// audit/stats: entry counts, file sizes, free disk, storage warnings and the last verification result.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { AuditWriter } from '../../services';

export const stats =
  (s: AuditWriter): Handler<'audit/stats'> =>
  () =>
    s.audit.writer.stats();
