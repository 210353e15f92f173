// audit/verify: flushes, then checks the whole chain against the signed head (the view's "Verify" and the palette command).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { AuditWriter } from '../../services';

export const verify =
  (s: AuditWriter): Handler<'audit/verify'> =>
  (_params, ctx) =>
    s.audit.writer.verify(ctx.signal);
