// Protected paths from the policy engine: a write the policy denies to the agent is never proposed as a patch.
import type { IPolicyEngine } from '../../../core/src/policy/engine';
import type { ProtectedCheck } from './paths';

export function policyProtected(policy: Pick<IPolicyEngine, 'evaluate'>, mode?: string): ProtectedCheck {
  return (rel) => {
    const d = policy.evaluate({
      subject: { kind: 'agent', id: 'sandbox-output', tags: [] },
      action: 'fs.write',
      resource: rel,
      context: { mode },
    });
    return d.decision === 'deny' ? `protected by policy: ${d.reason}` : undefined;
  };
}
