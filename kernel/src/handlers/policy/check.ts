// policy/check: optionally reloads the policy files and reports what is in force (a failed load keeps the last good one).
import { AirlockError, ErrorCodes } from '../../../../protocol/src/errors';
import type { Handler } from '../../../../protocol/src/rpc-server';
import { formatProblem, PolicyLoadError } from '../../policy/loader';
import type { KernelServices } from '../../services';

export const check = (s: KernelServices): Handler<'policy/check'> => (params) => {
  const engine = s.policy;
  if (!engine) throw new AirlockError(ErrorCodes.Internal, 'the policy engine is not running', 'restart the kernel');
  if (params.reload) {
    try { engine.reload(); } catch (e) { if (!(e instanceof PolicyLoadError)) throw e; }
  }
  const problems = engine.lastError?.problems.map(formatProblem) ?? [];
  return { ok: problems.length === 0, files: [...engine.files], rules: engine.ruleCount, problems };
};
