// Audit log methods: paged query with filters, chain verification and storage stats (the audit view and the CLI).
import { z } from 'zod';
import { AuditPage, AuditQuery, AuditStats, AuditVerifyReport } from '../audit';

export const auditMethods = {
  'audit/query': [AuditQuery, AuditPage],
  /** Flushes the buffer, then checks the whole chain against the signed head. */
  'audit/verify': [z.object({}), AuditVerifyReport],
  'audit/stats': [z.object({}), AuditStats],
} as const;
