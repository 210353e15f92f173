// Shared by the workflow/* handlers: the workflow service, or a clear error when this kernel runs without one.
import { AirlockError } from '../../../../protocol/src/errors';
import type { WorkflowService } from '../../workflow/machine';
import type { KernelServices } from '../../services';

export function needWorkflow(s: KernelServices): WorkflowService {
  if (!s.workflow) throw new AirlockError('WORKFLOW_UNAVAILABLE', 'this kernel has no workflow service', 'update the kernel image');
  return s.workflow;
}

