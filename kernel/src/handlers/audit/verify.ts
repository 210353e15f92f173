// audit/verify: flushes, then checks the whole chain against the signed head (the view's "Verify" and the palette command).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { requireAuditLog } from './require';

export const verify = (s: KernelServices): Handler<'audit/verify'> => (_params, ctx) => requireAuditLog(s).verify(ctx.signal);
