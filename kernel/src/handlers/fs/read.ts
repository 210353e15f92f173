// fs/read: reads one workspace file for a person (native fast path, read-only); policy-checked and audited first.
import * as fs from 'node:fs/promises';
import { AirlockError, ErrorCodes } from '../../../../protocol/src/errors';
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { AuditWriter, KernelServices } from '../../services';
import { resolveInWorkspace } from '../../workspace/paths';

const DEFAULT_MAX_BYTES = 1024 * 1024;

export const read =
  (s: Pick<KernelServices, 'policy' | 'config'> & AuditWriter): Handler<'fs/read'> =>
  async (params, ctx) => {
    const { abs, rel } = resolveInWorkspace(s.config.workspace, params.path);
    const stat = await fs.stat(abs);
    if (!stat.isFile()) throw new AirlockError(ErrorCodes.NotFound, `${rel} is not a regular file`);
    const client = ctx.connection.client?.name ?? 'client';
    // Content a person attaches for the model is judged as the agent's read: the model would see it either way.
    const subject = params.forModel ? { kind: 'agent' as const, id: 'context', tags: [] } : { kind: 'user' as const, id: client, tags: [] };
    const decision = await s.policy.evaluateAsync({ subject, action: 'fs.read', resource: rel, context: { size: stat.size } }, ctx.signal);
    // Fail closed: a read the audit log cannot record does not happen (`writer` throws AUDIT_UNAVAILABLE without a log).
    await s.audit.writer.append(
      {
        subject: `user:${client}`,
        action: 'policy.decision',
        resource: `fs.read ${rel}`,
        decision: decision.decision,
        ruleIds: decision.matched.slice(0, 64),
        ...(params.forModel ? { payload: { forModel: true, judgedAs: 'agent:context' } } : {}),
      },
      { sync: true },
    );
    if (decision.decision !== 'allow') {
      throw new AirlockError(
        ErrorCodes.PolicyDenied,
        `fs.read of ${rel} is ${decision.decision === 'ask' ? 'not allowed without approval' : 'denied'}: ${decision.reason}`,
        decision.matched.length ? `matched rule(s): ${decision.matched.join(', ')}` : 'no policy rule allows it; see docs/policy.md',
      );
    }
    const max = params.maxBytes ?? DEFAULT_MAX_BYTES;
    const handle = await fs.open(abs, 'r');
    try {
      const buf = Buffer.alloc(Math.min(max, stat.size));
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      ctx.signal.throwIfAborted();
      const bytes = buf.subarray(0, bytesRead);
      const binary = bytes.includes(0);
      return {
        path: rel,
        content: bytes.toString(binary ? 'base64' : 'utf8'),
        encoding: binary ? 'base64' : 'utf8',
        size: stat.size,
        truncated: stat.size > bytesRead,
      };
    } finally {
      await handle.close();
    }
  };
