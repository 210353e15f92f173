// workflow/setMode: a person switches a session's mode (recorded with the reason; the session restarts in that mode).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import { needWorkflow } from './need';

export const setMode = (s: KernelServices): Handler<'workflow/setMode'> => async (params) => ({
  session: await needWorkflow(s).setMode(params.sessionId, params.mode, params.reason, 'person'),
});
