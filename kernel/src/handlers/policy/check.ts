// policy/check: optionally reloads the policy files and reports what is in force (a failed load keeps the last good one).
// A reload is a policy.update, recorded synchronously in the audit log with its outcome; no audit log, no reload.
import * as path from 'node:path';
import type { Handler } from '../../../../protocol/src/rpc-server';
import { formatProblem, PolicyLoadError } from '../../../../core/src/policy/loader';
import type { AuditWriter, KernelServices } from '../../services';

export const check =
  (s: Pick<KernelServices, 'policy'> & AuditWriter): Handler<'policy/check'> =>
  async (params, ctx) => {
    const engine = s.policy;
    if (params.reload) {
      const before = engine.ruleCount;
      // Fail closed: no audit log, no policy change (`writer` throws AUDIT_UNAVAILABLE before anything is reloaded).
      const audit = s.audit.writer;
      let failed: string[] = [];
      try {
        engine.reload();
      } catch (e) {
        if (!(e instanceof PolicyLoadError)) throw e;
        failed = e.problems.map(formatProblem);
      }
      await audit.append(
        {
          subject: ctx.connection.client?.name ?? 'user',
          action: 'policy.update',
          resource: [...engine.files].join(path.delimiter),
          decision: failed.length ? 'error' : 'ok',
          payload: { rulesBefore: before, rulesAfter: engine.ruleCount, problems: failed.slice(0, 20) },
        },
        { sync: true },
      );
    }
    const problems = engine.lastError?.problems.map(formatProblem) ?? [];
    return { ok: problems.length === 0, files: [...engine.files], rules: engine.ruleCount, problems };
  };
