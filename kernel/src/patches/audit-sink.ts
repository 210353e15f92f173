// Adapts the audit log to PatchService's sink: every patch event is one synchronous entry (no log → the action fails).
import type { IAuditLog } from '../audit/types';
import type { PatchAuditSink } from './service';

export function patchAuditSink(writer: () => Pick<IAuditLog, 'append'>): PatchAuditSink {
  return {
    record: async (e) => {
      const decision = e.action === 'review.merged' ? e.detail.outcome : e.action === 'review.automerge' ? (e.detail.allowed ? 'allow' : 'deny') : 'ok';
      await writer().append({ subject: e.action === 'review.automerge' ? 'policy' : 'user', action: e.action, resource: e.setId,
        decision: String(decision).toLowerCase().replace(/[^a-z0-9_-]/g, '-'), payload: e.detail }, { sync: true });
    },
  };
}
