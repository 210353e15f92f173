// workflow/setMode: a person switches a session's mode (recorded with the reason; the session restarts in that mode).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

// Audited by the service before the switch is stored (`workflow.change`, kind mode, with fromMode and the reason).
export const setMode =
  (s: Pick<KernelServices, 'workflow'>): Handler<'workflow/setMode'> =>
  async (params) => {
    const session = await s.workflow.setMode(params.sessionId, params.mode, params.reason, 'person');
    return { session };
  };
