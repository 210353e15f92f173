// Shared by the audit handlers: the kernel's audit log, or a clear error when it could not be opened.
import { AirlockError } from '../../../../protocol/src/errors';
import type { IAuditLog } from '../../../../core/src/audit/types';
import type { KernelServices } from '../../services';

export function requireAuditLog(s: KernelServices): IAuditLog {
  const log = s.audit?.log;
  if (log) return log;
  const r = s.audit?.report;
  throw new AirlockError('AUDIT_UNAVAILABLE', r?.type === 'unusable' ? `the audit log cannot be opened: ${r.message}` : 'this kernel has no audit log',
    r?.type === 'unusable' ? r.hint : undefined);
}
