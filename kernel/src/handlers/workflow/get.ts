// workflow/get: one session (or all) with mode, state, watched tests, exemption, debt budget and legal next steps.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needWorkflow } from './need';

export const get = (s: KernelServices): Handler<'workflow/get'> => (params) => {
  const wf = needWorkflow(s);
  const sessions = params.sessionId ? [wf.get(params.sessionId)] : wf.list();
  return { sessions, history: wf.history(params.sessionId, params.history ?? (params.sessionId ? 20 : 0)) };
};
