// workflow/setMode: a person switches a session's mode (recorded with the reason; the session restarts in that mode).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { auditWorkflow, needWorkflow } from './need';

export const setMode = (s: KernelServices): Handler<'workflow/setMode'> => async (params) => {
  const wf = needWorkflow(s);
  const before = wf.get(params.sessionId);
  const session = await wf.setMode(params.sessionId, params.mode, params.reason, 'person');
  await auditWorkflow(s, 'workflow.mode', params.sessionId, { sessionId: params.sessionId, fromMode: before.mode, fromState: before.state, mode: session.mode, state: session.state, reason: params.reason, actor: 'person' }, false);
  return { session };
};
