// audit/head: the log id and committed tail, which the host keeps as its anchor outside the state volume.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { requireAuditLog } from './require';

export const head = (s: KernelServices): Handler<'audit/head'> => (params) => requireAuditLog(s).head(params.at);
