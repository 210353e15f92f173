// The audit entry for one workflow session change, written before the change is stored (record, then act).
import type { AuditInput } from '../../../protocol/src/audit';
import type { Actor } from '../../../protocol/src/workflow';
import type { NewTransition } from './store';

/** Who the audit log names as the subject of each actor's change. */
const SUBJECT: Record<Actor, string> = { person: 'user', agent: 'agent', kernel: 'kernel' };

/**
 * `workflow.change` under the session's id: kind (create, transition, mode, refused), actor, mode, from/to, and what
 * loosens or explains it (exemption or waiver with its reason, guard and reason of a refusal). Free text the agent
 * wrote (a hypothesis) stays in the workflow store; the entry says only that there was one.
 */
export function workflowAuditEntry(t: NewTransition): AuditInput {
  const d = t.detail;
  const ev = (d.evidence ?? {}) as Record<string, unknown>;
  const guard = typeof d.guard === 'string' ? d.guard : undefined;
  const pick = (k: string) => (d[k] === undefined ? {} : { [k]: d[k] });
  return {
    session: t.sessionId,
    subject: SUBJECT[t.actor],
    action: 'workflow.change',
    resource: t.sessionId,
    decision: t.kind === 'refused' ? 'deny' : null,
    ruleIds: guard ? [guard] : [],
    payload: {
      kind: t.kind,
      actor: t.actor,
      mode: t.mode,
      from: t.from,
      to: t.to,
      exemption: d.data.exemption,
      ...pick('fromMode'),
      ...pick('reason'),
      ...pick('attempted'),
      ...pick('guard'),
      ...pick('guards'),
      ...(ev.waiver ? { waiver: ev.waiver } : {}),
      ...(ev.patchSetId ? { patchSetId: ev.patchSetId } : {}),
      ...(ev.changedFileCount !== undefined ? { changedFileCount: ev.changedFileCount } : {}),
      ...(ev.hypothesis ? { hypothesis: true } : {}),
      ...(ev.acceptDebt ? { acceptDebt: true } : {}),
    },
  };
}
