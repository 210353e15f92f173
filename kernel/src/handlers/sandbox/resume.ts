// sandbox/resume: unfreezes a paused sandbox; a command that was in flight carries on.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const resume =
  (s: Pick<KernelServices, 'runtime'>): Handler<'sandbox/resume'> =>
  ({ id }) =>
    s.runtime.resume(id);
