// Shared by the workflow/* handlers: the workflow service, or a clear error when this kernel runs without one.
import { AirlockError } from '../../../../protocol/src/errors';
import type { WorkflowService } from '../../workflow/machine';
import type { KernelServices } from '../../services';

export function needWorkflow(s: KernelServices): WorkflowService {
  if (!s.workflow) throw new AirlockError('WORKFLOW_UNAVAILABLE', 'this kernel has no workflow service', 'update the kernel image');
  return s.workflow;
}

/** A person's workflow action in the audit log (session = the workflow session), durable before the answer. */
export async function auditWorkflow(s: KernelServices, action: string, sessionId: string, payload: Record<string, unknown>, refused: boolean): Promise<void> {
  await s.audit?.writer.append({ session: sessionId, subject: 'user', action, resource: sessionId, decision: refused ? 'deny' : null,
    ruleIds: typeof payload.guard === 'string' ? [payload.guard] : [], payload }, { sync: true });
}
