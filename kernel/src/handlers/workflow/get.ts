// workflow/get: one session (or all) with mode, state, watched tests, exemption, debt budget and legal next steps.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const get =
  (s: Pick<KernelServices, 'workflow'>): Handler<'workflow/get'> =>
  (params) => {
    const wf = s.workflow;
    const sessions = params.sessionId ? [wf.get(params.sessionId)] : wf.list();
    return { sessions, history: wf.history(params.sessionId, params.history ?? (params.sessionId ? 20 : 0)) };
  };
