// audit/head: the log id and committed tail, which the host keeps as its anchor outside the state volume.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { AuditWriter } from '../../services';

export const head =
  (s: AuditWriter): Handler<'audit/head'> =>
  (params) =>
    s.audit.writer.head(params.at);
