// review/verify: builds the accepted subset of a set in a fresh output volume and reruns the tests on it in a sandbox.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';
import type { TaskService } from '../../agent/task-service';
import { verifyAccepted } from '../../patches/verify';

export type VerifyServices = Pick<KernelServices, 'patches' | 'policy'> & { readonly tasks: Pick<TaskService, 'prepareExternal'> };

export const verify =
  (s: VerifyServices): Handler<'review/verify'> =>
  (params, ctx) => {
    // Admitted like a task (a container engine and a capped outputs filesystem, else a clear refusal).
    const { deps } = s.tasks.prepareExternal();
    return verifyAccepted({ ...deps, policyFiles: s.policy.files }, params.id, ctx.signal);
  };
