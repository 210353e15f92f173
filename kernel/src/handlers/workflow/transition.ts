// workflow/transition: a person (extension or CLI) moves a session along its table; guards decide, refusals say why.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needWorkflow } from './need';

// Only the person's clients reach this socket; the agent loop calls WorkflowService with actor 'agent' directly.
export const transition = (s: KernelServices): Handler<'workflow/transition'> => async (params, ctx) => ({
  session: await needWorkflow(s).transition(params.sessionId, params.to, params.evidence ?? {}, 'person', ctx.signal),
});
