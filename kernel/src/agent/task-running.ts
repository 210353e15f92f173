// A running task as TaskService keeps it, and its approvals: asked by the router, answered by a person (task/approve).
import type { TaskEvent } from '../../../protocol/src/agent';
import type { IDisposable } from '../../../protocol/src/lifecycle';
import type { ApprovalDecision } from '../../../protocol/src/methods/agent';
import { type AuditSource, recordThenAct } from '../audit/record';
import type { EgressPolicy } from '../egress/decide';
import type { ProviderUpstream } from '../egress/provider-upstream';
import type { ApprovalAnswer } from './interfaces';
import type { SandboxedProvider } from './providers/sandboxed';
import type { TaskPolicy } from './task-policy';

export interface Pending {
  resolve: (a: ApprovalAnswer) => void;
  tool: string;
  input: unknown;
}

export interface RunningTask {
  id: string;
  abort: AbortController;
  seq: number;
  started: boolean;
  policy: TaskPolicy;
  pending: Map<string, Pending>;
  done?: Promise<void>;
  closeSub?: IDisposable;
  sessionId?: string;
  /** A chat turn (task/start `chat`): its provider worker may be kept for its workflow session's next turn. */
  chat?: boolean;
  emit?: (e: TaskEvent) => void;
  upstream?: ProviderUpstream;
  providerSandbox?: SandboxedProvider;
  net?: { policy: EgressPolicy; mode: string };
}

/** The scope an "allow for this session" answer to a connection grants: that host and port, nothing wider. */
function netScopes(input: unknown): Array<{ action: string; resource: string }> {
  const r = (input as { resource?: unknown } | null)?.resource;
  return typeof r === 'string' && r ? [{ action: 'net.connect', resource: r }] : [];
}

/** An approval the task waits for until a person answers it or the task is stopped (then it rejects with the reason). */
export function askApproval(
  task: RunningTask,
  req: { requestId: string; tool: string; input: unknown },
  signal: AbortSignal,
): Promise<ApprovalAnswer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      task.pending.delete(req.requestId);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    task.pending.set(req.requestId, {
      tool: req.tool,
      input: req.input,
      resolve: (a) => {
        signal.removeEventListener('abort', onAbort);
        resolve(a);
      },
    });
  });
}

/**
 * Answers an approval request; false when the request is unknown (already answered, task over). A deny's `note` (the
 * person's reason) reaches the model as the call's result and the audit log with the answer.
 */
export async function answerApproval(
  /** Read at the moment of the grant (the kernel's writer getter throws while the log is unavailable). */
  audit: AuditSource,
  task: RunningTask,
  requestId: string,
  decision: ApprovalDecision,
  note?: string,
): Promise<boolean> {
  const p = task.pending.get(requestId);
  if (!p) return false;
  if (decision === 'allow-session') {
    // Recorded, then granted: a grant the log cannot take is not given, and the request stays pending.
    const scopes = p.tool === 'net.connect' ? netScopes(p.input) : task.policy.askedScopes(p.tool, p.input);
    await recordThenAct(
      audit,
      {
        session: task.id,
        subject: 'user',
        action: 'task.grant',
        resource: p.tool,
        decision: 'allow-session',
        payload: { requestId, scopes },
      },
      () => task.policy.grant(scopes),
    );
  }
  if (!task.pending.delete(requestId)) return false;
  p.resolve({ answer: decision === 'deny' ? 'deny' : 'allow', ...(note ? { note } : {}) });
  return true;
}
