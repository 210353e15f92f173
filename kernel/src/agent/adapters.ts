// Adapters from the agent's small interfaces to the kernel's policy engine and audit log (used by main.ts to wire them).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AuditInput } from '../../../protocol/src/audit';
import type { Decision, PolicyRequestInput } from '../../../protocol/src/policy';
import type { AgentAuditEntry, IAudit, IPolicy, ToolPolicyDecision, ToolPolicyRequest } from './interfaces';

const RANK = { allow: 0, ask: 1, deny: 2 } as const;

/**
 * A tool call becomes one engine request per (capability, resource): capabilities are engine action names (fs.read,
 * fs.list, fs.stat, fs.write, exec); resources are the call's paths, or its command line for exec. The strictest wins.
 */
export function toolPolicy(
  engine: { evaluateAsync(r: PolicyRequestInput, signal?: AbortSignal): Promise<Decision> },
  opts: { mode?: string; subjectId?: string; workspace?: string; view?: { sizeOf(p: string): number | undefined } } = {},
): IPolicy {
  // Rules may bound sizes (`when: { max_size }`): a read is judged by the file's size, a write by the new content's.
  // An unknown size stays undefined, so a max_size rule does not match (fail closed) instead of reading it as 0.
  const sizeOf = (action: string, resource: string, input: unknown): number | undefined => {
    const content = input as { content?: unknown; newText?: unknown } | null;
    if (action === 'fs.write')
      return typeof content?.content === 'string'
        ? Buffer.byteLength(content.content)
        : typeof content?.newText === 'string'
          ? Buffer.byteLength(content.newText)
          : undefined;
    if (action === 'exec') return undefined;
    // A task's reads are judged on its own view (the workspace plus what its sandbox and edits changed).
    if (opts.view) return opts.view.sizeOf(resource);
    if (!opts.workspace) return undefined;
    try {
      const st = fs.statSync(path.resolve(opts.workspace, resource));
      return st.isFile() ? st.size : st.isDirectory() ? 0 : undefined; // a listing reads no file content
    } catch {
      return undefined;
    }
  };
  return {
    async evaluate(req: ToolPolicyRequest): Promise<ToolPolicyDecision> {
      const requests: PolicyRequestInput[] = [];
      for (const action of req.capabilities) {
        const resources = action === 'exec' ? [req.command ?? ''] : req.paths.length ? req.paths : ['.'];
        for (const resource of resources) {
          requests.push({
            subject: { kind: 'agent', id: opts.subjectId ?? req.taskId, tags: [] },
            action,
            resource,
            context: { ...(opts.mode ? { mode: opts.mode } : {}), ...sized(sizeOf(action, resource, req.input)) },
          });
        }
      }
      if (!requests.length) return { decision: 'deny', reason: `${req.tool} declares no capabilities; denied` };
      const decisions = await Promise.all(requests.map((r) => engine.evaluateAsync(r)));
      let worst = decisions[0];
      for (const d of decisions) if (RANK[d.decision] > RANK[worst.decision]) worst = d;
      const matched = [...new Set(decisions.flatMap((d) => d.matched))].sort();
      return { decision: worst.decision, matched: matched.join(',') || undefined, reason: worst.reason };
    },
  };
}

const sized = (size: number | undefined) => (size === undefined ? {} : { size });

/** Writes agent audit entries to the audit log: decisions durable (sync), results buffered. `subject`: who called. */
export function toolAudit(
  log: { append(input: AuditInput, opts: { sync: true }): Promise<unknown>; append(input: AuditInput, opts?: { sync?: false }): unknown },
  subject = 'agent',
): IAudit {
  return {
    async append(e: AgentAuditEntry, o: { sync: boolean }): Promise<void> {
      const p = e.payload;
      const decision =
        typeof p.decision === 'string'
          ? p.decision
          : typeof p.answer === 'string'
            ? p.answer
            : typeof p.ok === 'boolean'
              ? p.ok
                ? 'ok'
                : 'error'
              : null;
      const input: AuditInput = {
        session: e.taskId,
        subject,
        action: e.kind,
        resource: String(p.tool ?? ''),
        decision,
        ruleIds: typeof p.matched === 'string' ? p.matched.split(',').filter(Boolean).slice(0, 64) : [],
        payload: p,
      };
      if (o.sync) await log.append(input, { sync: true });
      else log.append(input);
    },
  };
}
