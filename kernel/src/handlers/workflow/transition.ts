// workflow/transition: a person (extension or CLI) moves a session along its table; guards decide, refusals say why.
// A person's waiver of test-first is this call with `to: green` and `evidence.waiver.reason` (audited with the reason).
import { AirlockError } from '../../../../protocol/src/errors';
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { auditWorkflow, needWorkflow } from './need';

// Only the person's clients reach this socket; the agent loop calls WorkflowService with actor 'agent' directly.
export const transition = (s: KernelServices): Handler<'workflow/transition'> => async (params, ctx) => {
  const wf = needWorkflow(s);
  const from = wf.get(params.sessionId).state;
  const evidence = params.evidence ?? {};
  try {
    const session = await wf.transition(params.sessionId, params.to, evidence, 'person', ctx.signal);
    await auditWorkflow(s, 'workflow.transition', params.sessionId, { sessionId: params.sessionId, mode: session.mode, from, to: params.to, actor: 'person', exemption: session.exemption, waiver: evidence.waiver ?? null }, false);
    return { session };
  } catch (err) {
    const e = AirlockError.from(err);
    if (e.code === 'WORKFLOW_GUARD_FAILED' || e.code === 'WORKFLOW_ILLEGAL_TRANSITION') {
      const d = (e.details ?? {}) as { guard?: string; reason?: string };
      await auditWorkflow(s, 'workflow.refused', params.sessionId, { sessionId: params.sessionId, from, to: params.to, actor: 'person', guard: d.guard ?? null, reason: d.reason ?? e.message }, true);
    }
    throw err;
  }
};
