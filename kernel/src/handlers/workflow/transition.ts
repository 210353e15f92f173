// workflow/transition: a person (extension or CLI) moves a session along its table; guards decide, refusals say why.
// A person's waiver of test-first is this call with `to: green` and `evidence.waiver.reason` (audited with the reason).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

// Only the person's clients reach this socket; the agent loop calls WorkflowService with actor 'agent' directly.
// The service records every change (and every refusal) in the audit log before it stores it: no log, no change.
export const transition =
  (s: Pick<KernelServices, 'workflow'>): Handler<'workflow/transition'> =>
  async (params, ctx) => {
    const session = await s.workflow.transition(params.sessionId, params.to, params.evidence ?? {}, 'person', ctx.signal);
    return { session };
  };
