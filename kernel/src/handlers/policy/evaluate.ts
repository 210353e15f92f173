// policy/evaluate: judges one request with the kernel's policy engine (Deno predicates run without blocking).
import { AirlockError, ErrorCodes } from '../../../../protocol/src/errors';
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const evaluate = (s: KernelServices): Handler<'policy/evaluate'> => async (params, ctx) => {
  if (!s.policy) throw new AirlockError(ErrorCodes.Internal, 'the policy engine is not running', 'restart the kernel');
  return s.policy.evaluateAsync(params, ctx.signal);
};
