// A chat session's transcript as a pure model: task events in, small ops out (the webview applies the same ops).
import type { AgentMode, TaskEvent } from '../../../protocol/src/agent';
import { boundHistory } from '../../../protocol/src/history';
import type { HistoryTurn } from '../../../protocol/src/methods/agent';
import type { ApprovalAnswer, ApprovalPreview, ChatItem, ChatOp, ChatUsage } from '../../../protocol/src/webview';

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
  /** The kernel's workflow session this chat continues (task/start `sessionId`), once a task reported one. */
  workflowSessionId?: string;
  /** What the person was typing and had not sent (kept here so it survives a reload and a session switch). */
  draft?: string;
  /** Messages sent while a task ran: each starts when the one before it finished (oldest first). */
  queued?: string[];
}

export function newSession(
  id: string,
  mode: AgentMode,
  now: number,
  budget: Pick<ChatUsage, 'maxTokens' | 'maxCostUsd'> = {},
): ChatSession {
  return {
    id,
    title: 'New session',
    items: [],
    mode,
    usage: { totalTokens: 0, costUsd: 0, ...budget },
    taskId: null,
    running: false,
    updatedAt: now,
    base: { totalTokens: 0, costUsd: 0 },
    nextId: 1,
  };
}

function upsert(s: ChatSession, item: ChatItem): ChatOp {
  const i = s.items.findIndex((x) => x.id === item.id);
  if (i < 0) s.items.push(item);
  else s.items[i] = item;
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

/** Tool cards are keyed by task too: call ids repeat across tasks (replays, Gemini's generated `call_<n>`). */
export function toolItemId(taskId: string, callId: string): string {
  return `t:${taskId}:${callId}`;
}

/** A notice in the transcript (kept in the session, so a later snapshot still has it). */
export function notice(s: ChatSession, level: 'info' | 'warn' | 'error', text: string): ChatOp {
  return upsert(s, { type: 'notice', id: `n${s.nextId++}`, level, text });
}

/** `context`: labels of what the message attached (@file, #selection, #problems), shown under it. */
export function addUserMessage(s: ChatSession, text: string, now: number, context: string[] = []): ChatOp[] {
  if (s.items.length === 0) s.title = text.split('\n')[0]!.slice(0, 80);
  s.updatedAt = now;
  return [upsert(s, { type: 'user', id: `u${s.nextId++}`, text, time: now, ...(context.length ? { context } : {}) })];
}

export function taskStarted(s: ChatSession, taskId: string): ChatOp[] {
  s.taskId = taskId;
  s.running = true;
  const ops: ChatOp[] = [];
  // The message that started it knows its task: a rewind to it drops this task and every later one.
  const u = [...s.items].reverse().find((x) => x.type === 'user');
  if (u?.type === 'user' && !u.taskId) ops.push(upsert(s, { ...u, taskId }));
  ops.push({ type: 'status', running: true, taskId });
  return ops;
}

/** What "Rewind to here" on the message `itemId` drops: it and everything after; the tasks those messages started. */
export function rewindPlan(s: ChatSession, itemId: string): { index: number; text: string; tasks: string[]; turns: number } | undefined {
  const index = s.items.findIndex((x) => x.id === itemId && x.type === 'user');
  if (index < 0) return undefined;
  const users = s.items.slice(index).filter((x): x is Extract<ChatItem, { type: 'user' }> => x.type === 'user');
  const tasks = [...new Set(users.flatMap((u) => (u.taskId ? [u.taskId] : [])))];
  return { index, text: (s.items[index] as Extract<ChatItem, { type: 'user' }>).text, tasks, turns: users.length };
}

/** Drops the transcript from `index` on (the kernel's sessions store and audit log keep it); no task is current any more. */
export function truncateAt(s: ChatSession, index: number, now: number): void {
  s.items = s.items.slice(0, index);
  s.streamingId = undefined;
  s.taskId = null;
  s.running = false;
  s.updatedAt = now;
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
      if (a) {
        a.text += e.text;
        ops.push({ type: 'append', id: a.id, text: e.text });
        break;
      }
      const id = `a${s.nextId++}`;
      s.streamingId = id;
      ops.push(upsert(s, { type: 'assistant', id, text: e.text, streaming: true }));
      break;
    }
    case 'tool-call':
      endStreaming(s, ops);
      ops.push(
        upsert(s, { type: 'tool', id: toolItemId(taskId, e.call.id), name: e.call.name, arguments: e.call.arguments, status: 'running' }),
      );
      break;
    case 'tool-result': {
      const id = toolItemId(taskId, e.result.toolCallId);
      const t = find(s, 'tool', id);
      const base = t ?? { type: 'tool' as const, id, name: e.result.name, arguments: '', status: 'running' as const };
      const denied = !e.result.ok && e.result.error?.code === 'POLICY_DENIED';
      ops.push(upsert(s, { ...base, result: e.result, status: denied ? 'denied' : e.result.ok ? 'done' : 'error' }));
      break;
    }
    case 'approval-request': {
      endStreaming(s, ops);
      const id = toolItemId(taskId, e.call.id);
      const t = find(s, 'tool', id);
      const tool = t ?? { type: 'tool' as const, id, name: e.call.name, arguments: e.call.arguments, status: 'running' as const };
      ops.push(upsert(s, { ...tool, status: 'awaiting-approval', verdict: { decision: 'ask', reason: e.reason } }));
      ops.push(
        upsert(s, {
          type: 'approval',
          id: e.requestId,
          taskId,
          callId: id,
          toolName: e.call.name,
          arguments: e.call.arguments,
          reason: e.reason,
          state: 'pending',
        }),
      );
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
    case 'workflow':
      s.workflowSessionId = e.sessionId;
      ops.push(notice(s, e.change === 'refused' || e.change === 'blocked' ? 'warn' : 'info', workflowText(e)));
      break;
    case 'context-trimmed':
      ops.push(notice(s, 'info', `Context trimmed: ${e.droppedMessages} older messages summarised in ${e.summaryTokens} tokens.`));
      break;
    case 'finished': {
      endStreaming(s, ops);
      for (const item of s.items) {
        if (item.type === 'approval' && item.taskId === taskId && item.state === 'pending')
          ops.push(upsert(s, { ...item, state: 'expired' }));
      }
      const level = e.status === 'completed' ? 'info' : e.status === 'cancelled' ? 'warn' : 'error';
      const detail = e.error ? ` (${e.error.code}: ${e.error.message})` : '';
      // A completed task's message repeats its final answer (and the patch set has its own card); other endings say why.
      const text = e.status === 'completed' ? 'Task completed.' : /^Task\b/.test(e.message) ? e.message : `Task ${e.status}: ${e.message}`;
      ops.push(notice(s, level, `${text}${detail}`));
      s.base = { totalTokens: s.usage.totalTokens, costUsd: s.usage.costUsd };
      s.running = false;
      ops.push({ type: 'status', running: false, taskId });
      break;
    }
    default: {
      const never: never = e;
      return never;
    }
  }
  return ops;
}

function workflowText(e: Extract<TaskEvent, { type: 'workflow' }>): string {
  const why = `${e.guard ? ` (${e.guard})` : ''}${e.reason ? `: ${e.reason}` : ''}`;
  switch (e.change) {
    case 'start':
    case 'resume':
      return `Workflow ${e.change === 'start' ? 'started' : 'resumed'} in ${e.mode} mode, state ${e.state}.`;
    case 'transition':
      return `Workflow: ${e.from ?? '?'} → ${e.to ?? e.state}${e.exemption ? ` (exemption ${e.exemption.kind}: ${e.exemption.reason})` : ''}.`;
    case 'refused':
      return `Workflow: ${e.from ?? e.state} → ${e.to ?? '?'} refused${why}.`;
    case 'blocked':
      return `Edit${e.paths?.length ? ` of ${e.paths.slice(0, 3).join(', ')}` : ''} blocked in state ${e.state}${why}.`;
    default: {
      const never: never = e.change;
      return never;
    }
  }
}

/** Records a person's answer on the approval card and the tool card it belongs to. */
export function answerApproval(s: ChatSession, requestId: string, answer: ApprovalAnswer, note?: string): ChatOp[] {
  const a = find(s, 'approval', requestId);
  if (!a || a.state !== 'pending') return [];
  const state = answer === 'allow-once' ? 'allowed' : answer === 'allow-session' ? 'allowed-session' : 'denied';
  const ops = [upsert(s, { ...a, state, note })];
  const t = find(s, 'tool', a.callId);
  // The tool's own result may have arrived before the kernel acknowledged the answer: never move it back to running.
  if (t && t.status === 'awaiting-approval')
    ops.push(
      upsert(s, {
        ...t,
        status: answer === 'deny' ? 'denied' : 'running',
        verdict: { decision: answer === 'deny' ? 'deny' : 'allow', reason: note ?? a.reason },
      }),
    );
  return ops;
}

/**
 * The running task will not report its end (the kernel crashed or restarted, the window reloaded): the session says so
 * and why, its open prompts expire, and Send works again.
 */
export function interruptTask(s: ChatSession, reason: string, now: number): ChatOp[] {
  if (!s.running || !s.taskId) return [];
  const taskId = s.taskId;
  const ops: ChatOp[] = [];
  endStreaming(s, ops);
  for (const item of s.items) {
    if (item.type === 'approval' && item.taskId === taskId && item.state === 'pending') ops.push(upsert(s, { ...item, state: 'expired' }));
    if (item.type === 'tool' && item.id.startsWith(`t:${taskId}:`) && (item.status === 'running' || item.status === 'awaiting-approval')) {
      ops.push(upsert(s, { ...item, status: 'error' }));
    }
  }
  ops.push(notice(s, 'error', `Task interrupted: ${reason}. Its work so far was not kept; Retry runs the prompt again.`));
  s.base = { totalTokens: s.usage.totalTokens, costUsd: s.usage.costUsd };
  s.running = false;
  s.updatedAt = now;
  ops.push({ type: 'status', running: false, taskId });
  return ops;
}

/** Adds what an approval is about (a diff, a command) to its card, once the host worked it out. */
export function setApprovalPreview(s: ChatSession, requestId: string, preview: ApprovalPreview): ChatOp[] {
  const a = find(s, 'approval', requestId);
  return a ? [upsert(s, { ...a, preview })] : [];
}

/** The session's conversation so far (what the person asked, what the agent answered), for a follow-up's task/start. */
export function conversation(s: ChatSession): HistoryTurn[] {
  const out: HistoryTurn[] = [];
  for (const x of s.items) {
    if (x.type === 'user') out.push({ role: 'user', text: x.text });
    else if (x.type === 'assistant' && x.text.trim()) out.push({ role: 'assistant', text: x.text });
  }
  return boundHistory(out);
}

/** The last prompt a person sent, for Retry. */
export function lastPrompt(s: ChatSession): string | undefined {
  for (let i = s.items.length - 1; i >= 0; i--) {
    const x = s.items[i]!;
    if (x.type === 'user') return x.text;
  }
  return undefined;
}

export function addPatchSet(
  s: ChatSession,
  p: { setId: string; files: number; added: number; removed: number; blocked?: number; autoMerge?: boolean },
): ChatOp[] {
  return [upsert(s, { type: 'patchset', id: `p_${p.setId}`, ...p, blocked: p.blocked ?? 0, autoMerge: p.autoMerge ?? false })];
}
