// What needs the person (pure, no vscode): pending approvals, running tasks and the last error, folded from chat ops.
import type { ChatOp } from '../../../protocol/src/webview';

export interface PendingApproval {
  id: string;
  sessionId: string;
  toolName: string;
}

export interface Attention {
  /** Open approvals by request id, oldest first. */
  approvals: Map<string, PendingApproval>;
  /** Sessions whose task runs. */
  running: Set<string>;
  /** The last error a session showed, until that session sends again or the chat is seen (markErrorsSeen). */
  errors: Map<string, string>;
}

export function emptyAttention(): Attention {
  return { approvals: new Map(), running: new Set(), errors: new Map() };
}

/** Folds one batch of a session's chat ops in; returns the approvals that just became pending (to notify about). */
export function applyAttention(a: Attention, sessionId: string, ops: readonly ChatOp[]): PendingApproval[] {
  const fresh: PendingApproval[] = [];
  for (const op of ops) {
    if (op.type === 'status') {
      if (op.running) {
        a.running.add(sessionId);
        a.errors.delete(sessionId);
      } else a.running.delete(sessionId);
    } else if (op.type === 'upsert') {
      const it = op.item;
      if (it.type === 'approval') {
        if (it.state === 'pending' && !a.approvals.has(it.id)) {
          const p = { id: it.id, sessionId, toolName: it.toolName };
          a.approvals.set(it.id, p);
          fresh.push(p);
        } else if (it.state !== 'pending') a.approvals.delete(it.id);
      } else if (it.type === 'notice' && it.level === 'error') a.errors.set(sessionId, it.text);
    }
  }
  return fresh;
}

/** The person has the chat on screen, where each error is a notice: the status bar stops repeating them. */
export function markErrorsSeen(a: Attention): void {
  a.errors.clear();
}

export type AttentionKind = 'idle' | 'working' | 'waiting' | 'error';

/** The one thing to say, most urgent first: an approval waits for you, then an error, then work in progress. */
export function attentionStatus(a: Attention): { kind: AttentionKind; text: string; tooltip: string } {
  const n = a.approvals.size;
  if (n) {
    const tools = [...new Set([...a.approvals.values()].map((p) => p.toolName))].join(', ');
    return {
      kind: 'waiting',
      text: 'Airlock: waiting for you',
      tooltip: `${n} approval${n === 1 ? '' : 's'} pending (${tools}): open the chat to answer`,
    };
  }
  const err = [...a.errors.values()].at(-1);
  if (err) return { kind: 'error', text: 'Airlock: error', tooltip: `${err}\nOpen the chat for the details` };
  if (a.running.size)
    return { kind: 'working', text: 'Airlock: working…', tooltip: `${a.running.size} task${a.running.size === 1 ? '' : 's'} running` };
  return { kind: 'idle', text: '', tooltip: '' };
}

/**
 * The chat view's badge: the number of pending approvals. None is a badge of 0, which VS Code draws as nothing: a
 * webview view's badge set back to `undefined` stays on the activity bar (fixed upstream in microsoft/vscode#331019,
 * after the VS Code versions we support), so the approval count would never go away.
 */
export function attentionBadge(a: Attention): { value: number; tooltip: string } {
  const n = a.approvals.size;
  return { value: n, tooltip: n ? `${n} approval${n === 1 ? '' : 's'} waiting for you` : '' };
}

/** What clears a webview view's badge on every VS Code version (see attentionBadge). */
export const NO_BADGE = { value: 0, tooltip: '' } as const;
