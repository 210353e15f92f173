// policy/evaluate: judges one request with the kernel's policy engine (Deno predicates run without blocking).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const evaluate =
  (s: Pick<KernelServices, 'policy'>): Handler<'policy/evaluate'> =>
  async (params, ctx) => {
    return s.policy.evaluateAsync(params, ctx.signal);
  };
