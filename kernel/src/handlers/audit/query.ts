// audit/query: one page of audit entries, newest first by default, with filters (the audit view's table).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { requireAuditLog } from './require';

export const query = (s: KernelServices): Handler<'audit/query'> => (params) => requireAuditLog(s).query(params);
