// sandbox/pause: freezes a sandbox with the engine's pause (a person's pause: commands sent meanwhile are refused).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const pause =
  (s: Pick<KernelServices, 'runtime'>): Handler<'sandbox/pause'> =>
  ({ id }) =>
    s.runtime.pause(id, 'request');
