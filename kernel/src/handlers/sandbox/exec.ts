// sandbox/exec: runs one command in a sandbox through its exec agent; OOM kills and timeouts come back in the result.
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const exec =
  (s: Pick<KernelServices, 'runtime'>): Handler<'sandbox/exec'> =>
  ({ id, via, ...req }, ctx) =>
    s.runtime.exec(id, req, { via, signal: ctx.signal });
