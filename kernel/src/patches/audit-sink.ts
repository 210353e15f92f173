// Adapts the audit log to PatchService's sink: every patch event is one synchronous entry (no log → the action fails).
import type { IAuditLog } from '../../../core/src/audit/types';
import type { PatchAuditSink } from './service';

/** `taskOf` maps a set to the task (= workflow session) that produced it, so review entries join that session's trail. */
export function patchAuditSink(
  writer: () => Pick<IAuditLog, 'append'>,
  taskOf: (setId: string) => string | undefined = () => undefined,
): PatchAuditSink {
  return {
    record: async (e) => {
      const decision =
        e.action === 'review.merged'
          ? e.detail.outcome
          : e.action === 'review.automerge'
            ? e.detail.allowed
              ? 'allow'
              : 'deny'
            : e.action === 'review.verify'
              ? e.detail.outcome
              : 'ok';
      let session: string | undefined;
      try {
        session = e.action === 'review.generated' ? e.detail.taskId : taskOf(e.setId);
      } catch {
        session = undefined;
      }
      await writer().append(
        {
          session: session ?? null,
          subject: e.action === 'review.automerge' ? 'policy' : 'user',
          action: e.action,
          resource: e.setId,
          decision: String(decision)
            .toLowerCase()
            .replace(/[^a-z0-9_-]/g, '-'),
          payload: e.detail,
        },
        { sync: true },
      );
    },
  };
}
