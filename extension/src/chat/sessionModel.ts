// A chat session's transcript as a pure model: task events in, small ops out (the webview applies the same ops).
import type { AgentMode, TaskEvent } from '../../../protocol/src/agent';
import type { ApprovalAnswer, ChatItem, ChatOp, ChatUsage } from '../../../protocol/src/webview';

export interface ChatSession {
  id: string;
  title: string;
  items: ChatItem[];
  mode: AgentMode;
  usage: ChatUsage;
  taskId: string | null;
  running: boolean;
  updatedAt: number;
  /** Tokens and cost of the session's finished tasks; the running task's totals are added on top. */
  base: { totalTokens: number; costUsd: number };
  streamingId?: string;
  nextId: number;
}

export function newSession(id: string, mode: AgentMode, now: number, budget: Pick<ChatUsage, 'maxTokens' | 'maxCostUsd'> = {}): ChatSession {
  return { id, title: 'New session', items: [], mode, usage: { totalTokens: 0, costUsd: 0, ...budget }, taskId: null, running: false, updatedAt: now, base: { totalTokens: 0, costUsd: 0 }, nextId: 1 };
}

function upsert(s: ChatSession, item: ChatItem): ChatOp {
  const i = s.items.findIndex((x) => x.id === item.id);
  if (i < 0) s.items.push(item); else s.items[i] = item;
  return { type: 'upsert', item };
}

function find<T extends ChatItem['type']>(s: ChatSession, type: T, id: string): Extract<ChatItem, { type: T }> | undefined {
  return s.items.find((x): x is Extract<ChatItem, { type: T }> => x.type === type && x.id === id);
}

function endStreaming(s: ChatSession, ops: ChatOp[]): void {
  if (!s.streamingId) return;
  const a = find(s, 'assistant', s.streamingId);
  s.streamingId = undefined;
  if (a) ops.push(upsert(s, { ...a, streaming: false }));
}

function notice(s: ChatSession, level: 'info' | 'warn' | 'error', text: string): ChatOp {
  return upsert(s, { type: 'notice', id: `n${s.nextId++}`, level, text });
}

export function addUserMessage(s: ChatSession, text: string, now: number): ChatOp[] {
  if (s.items.length === 0) s.title = text.split('\n')[0]!.slice(0, 80);
  s.updatedAt = now;
  return [upsert(s, { type: 'user', id: `u${s.nextId++}`, text, time: now })];
}

export function taskStarted(s: ChatSession, taskId: string): ChatOp[] {
  s.taskId = taskId;
  s.running = true;
  return [{ type: 'status', running: true, taskId }];
}

export function applyTaskEvent(s: ChatSession, taskId: string, e: TaskEvent, now: number): ChatOp[] {
  if (taskId !== s.taskId) return [];
  s.updatedAt = now;
  const ops: ChatOp[] = [];
  switch (e.type) {
    case 'turn-start':
      endStreaming(s, ops);
      break;
    case 'text-delta': {
      const a = s.streamingId ? find(s, 'assistant', s.streamingId) : undefined;
      if (a) { a.text += e.text; ops.push({ type: 'append', id: a.id, text: e.text }); break; }
      const id = `a${s.nextId++}`;
      s.streamingId = id;
      ops.push(upsert(s, { type: 'assistant', id, text: e.text, streaming: true }));
      break;
    }
    case 'tool-call':
      endStreaming(s, ops);
      ops.push(upsert(s, { type: 'tool', id: e.call.id, name: e.call.name, arguments: e.call.arguments, status: 'running' }));
      break;
    case 'tool-result': {
      const t = find(s, 'tool', e.result.toolCallId);
      const base = t ?? { type: 'tool' as const, id: e.result.toolCallId, name: e.result.name, arguments: '', status: 'running' as const };
      const denied = !e.result.ok && e.result.error?.code === 'POLICY_DENIED';
      ops.push(upsert(s, { ...base, result: e.result, status: denied ? 'denied' : e.result.ok ? 'done' : 'error' }));
      break;
    }
    case 'approval-request': {
      endStreaming(s, ops);
      const t = find(s, 'tool', e.call.id);
      const tool = t ?? { type: 'tool' as const, id: e.call.id, name: e.call.name, arguments: e.call.arguments, status: 'running' as const };
      ops.push(upsert(s, { ...tool, status: 'awaiting-approval', verdict: { decision: 'ask', reason: e.reason } }));
      ops.push(upsert(s, { type: 'approval', id: e.requestId, taskId, callId: e.call.id, toolName: e.call.name, arguments: e.call.arguments, reason: e.reason, state: 'pending' }));
      break;
    }
    case 'usage':
      s.usage = { ...s.usage, totalTokens: s.base.totalTokens + e.totalTokens, costUsd: s.base.costUsd + e.costUsd };
      ops.push({ type: 'usage', usage: s.usage });
      break;
    case 'retry':
      if (e.discardPartial && s.streamingId) {
        const a = find(s, 'assistant', s.streamingId);
        if (a) ops.push(upsert(s, { ...a, text: '' }));
      }
      ops.push(notice(s, 'warn', `Retrying (attempt ${e.attempt}) in ${Math.round(e.delayMs)} ms: ${e.reason}`));
      break;
    case 'context-trimmed':
      ops.push(notice(s, 'info', `Context trimmed: ${e.droppedMessages} older messages summarised in ${e.summaryTokens} tokens.`));
      break;
    case 'finished': {
      endStreaming(s, ops);
      for (const item of s.items) {
        if (item.type === 'approval' && item.taskId === taskId && item.state === 'pending') ops.push(upsert(s, { ...item, state: 'expired' }));
      }
      const level = e.status === 'completed' ? 'info' : e.status === 'cancelled' ? 'warn' : 'error';
      const detail = e.error ? ` (${e.error.code}: ${e.error.message})` : '';
      ops.push(notice(s, level, `Task ${e.status}: ${e.message}${detail}`));
      s.base = { totalTokens: s.usage.totalTokens, costUsd: s.usage.costUsd };
      s.running = false;
      ops.push({ type: 'status', running: false, taskId });
      break;
    }
    default: { const never: never = e; return never; }
  }
  return ops;
}

/** Records a person's answer on the approval card and the tool card it belongs to. */
export function answerApproval(s: ChatSession, requestId: string, answer: ApprovalAnswer, note?: string): ChatOp[] {
  const a = find(s, 'approval', requestId);
  if (!a || a.state !== 'pending') return [];
  const state = answer === 'allow-once' ? 'allowed' : answer === 'allow-session' ? 'allowed-session' : 'denied';
  const ops = [upsert(s, { ...a, state, note })];
  const t = find(s, 'tool', a.callId);
  if (t) ops.push(upsert(s, { ...t, status: answer === 'deny' ? 'denied' : 'running', verdict: { decision: answer === 'deny' ? 'deny' : 'allow', reason: note ?? a.reason } }));
  return ops;
}

/** The last prompt a person sent, for Retry. */
export function lastPrompt(s: ChatSession): string | undefined {
  for (let i = s.items.length - 1; i >= 0; i--) { const x = s.items[i]!; if (x.type === 'user') return x.text; }
  return undefined;
}

export function addPatchSet(s: ChatSession, p: { setId: string; files: number; added: number; removed: number; blocked?: number; autoMerge?: boolean }): ChatOp[] {
  return [upsert(s, { type: 'patchset', id: `p_${p.setId}`, ...p, blocked: p.blocked ?? 0, autoMerge: p.autoMerge ?? false })];
}
