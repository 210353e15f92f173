// The chat session model: task events fold into transcript items and ops; the webview's store ends up identical to the host's.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { TaskEvent } from '../../../protocol/src/agent';
import { applyOps, type ChatOp } from '../../../protocol/src/webview';
import {
  addUserMessage,
  answerApproval,
  applyTaskEvent,
  lastPrompt,
  newSession,
  taskStarted,
  toolItemId,
} from '../../../extension/src/chat/sessionModel';
import { ChatStore } from '../../../webview/src/chat/store';

function run(events: TaskEvent[], taskId = 'task_1') {
  const s = newSession('s1', 'strict', 0, { maxTokens: 1000 });
  const ops: ChatOp[] = [...addUserMessage(s, 'add a test\nfor parse()', 1), ...taskStarted(s, taskId)];
  for (const e of events) ops.push(...applyTaskEvent(s, taskId, e, 2));
  return { s, ops };
}

const call = { id: 'call_1', name: 'fs.write', arguments: '{"path":"a.ts"}' };

describe('chat session model', () => {
  it('streams text deltas into one assistant item with append ops, ended by the next turn', () => {
    const { s, ops } = run([
      { type: 'turn-start', turn: 1 },
      { type: 'text-delta', text: 'Hel' },
      { type: 'text-delta', text: 'lo' },
      { type: 'turn-start', turn: 2 },
      { type: 'text-delta', text: 'Again' },
    ]);
    const assistants = s.items.filter((i) => i.type === 'assistant');
    assert.deepEqual(
      assistants.map((a) => [a.type === 'assistant' && a.text, a.type === 'assistant' && a.streaming]),
      [
        ['Hello', false],
        ['Again', true],
      ],
    );
    assert.equal(ops.filter((o) => o.type === 'append').length, 1);
    assert.equal(s.title, 'add a test');
  });

  it('tool calls, approval requests and answers update the same cards', () => {
    const { s } = run([
      { type: 'tool-call', call },
      { type: 'approval-request', requestId: 'r1', call, reason: 'writes outside test/ need approval (rule write-ask)' },
    ]);
    const tool = s.items.find((i) => i.id === toolItemId('task_1', 'call_1'));
    assert.equal(tool?.type === 'tool' && tool.status, 'awaiting-approval');
    assert.equal(tool?.type === 'tool' && tool.verdict?.decision, 'ask');
    const ops = answerApproval(s, 'r1', 'deny', 'not now');
    assert.equal(ops.length, 2);
    const approval = s.items.find((i) => i.id === 'r1');
    assert.equal(approval?.type === 'approval' && approval.state, 'denied');
    assert.deepEqual(answerApproval(s, 'r1', 'allow-once'), [], 'an answered approval cannot be answered again');
  });

  it('a tool result marks the card done, failed or denied by policy', () => {
    const { s } = run([
      { type: 'tool-call', call },
      { type: 'tool-result', result: { toolCallId: 'call_1', name: 'fs.write', ok: true, content: 'ok', truncated: false } },
      { type: 'tool-call', call: { ...call, id: 'call_2' } },
      {
        type: 'tool-result',
        result: {
          toolCallId: 'call_2',
          name: 'fs.write',
          ok: false,
          content: '',
          truncated: false,
          error: { code: 'POLICY_DENIED', message: 'no' },
        },
      },
    ]);
    assert.deepEqual(
      s.items.filter((i) => i.type === 'tool').map((t) => t.type === 'tool' && t.status),
      ['done', 'denied'],
    );
  });

  it('the same call id in a later task gets its own card, and a result that beat the answer stays done', () => {
    const { s } = run([
      { type: 'tool-call', call },
      { type: 'approval-request', requestId: 'r1', call, reason: 'ask' },
      { type: 'tool-result', result: { toolCallId: 'call_1', name: 'fs.write', ok: true, content: 'ok', truncated: false } },
    ]);
    answerApproval(s, 'r1', 'allow-session');
    applyTaskEvent(s, 'task_1', { type: 'finished', status: 'completed', message: 'done' }, 3);
    taskStarted(s, 'task_2');
    applyTaskEvent(s, 'task_2', { type: 'tool-call', call }, 4);
    applyTaskEvent(s, 'task_2', { type: 'approval-request', requestId: 'r2', call, reason: 'ask' }, 5);
    const tools = s.items.filter((i) => i.type === 'tool');
    assert.deepEqual(
      tools.map((t) => t.type === 'tool' && t.status),
      ['done', 'awaiting-approval'],
    );
    assert.deepEqual(
      s.items.filter((i) => i.type === 'notice').map((n) => n.type === 'notice' && n.text),
      ['Task completed.'],
    );
  });

  it('finishing ends streaming, expires pending approvals, and usage accumulates across tasks', () => {
    const { s } = run([
      { type: 'text-delta', text: 'x' },
      { type: 'approval-request', requestId: 'r9', call, reason: 'ask' },
      { type: 'usage', usage: { inputTokens: 10, outputTokens: 5 }, totalTokens: 15, costUsd: 0.01 },
      { type: 'finished', status: 'cancelled', message: 'stopped by you' },
    ]);
    assert.equal(s.running, false);
    const a = s.items.find((i) => i.id === 'r9');
    assert.equal(a?.type === 'approval' && a.state, 'expired');
    assert.equal(s.usage.totalTokens, 15);
    addUserMessage(s, 'again', 3);
    taskStarted(s, 'task_2');
    applyTaskEvent(s, 'task_2', { type: 'usage', usage: { inputTokens: 1, outputTokens: 1 }, totalTokens: 2, costUsd: 0.001 }, 4);
    assert.equal(s.usage.totalTokens, 17);
    assert.equal(s.usage.maxTokens, 1000);
    assert.equal(lastPrompt(s), 'again');
  });

  it('ignores events of other tasks; a retry that discards the partial answer clears it', () => {
    const { s } = run([
      { type: 'text-delta', text: 'partial' },
      { type: 'retry', attempt: 1, delayMs: 10, reason: '503', discardPartial: true },
    ]);
    const a = s.items.find((i) => i.type === 'assistant');
    assert.equal(a?.type === 'assistant' && a.text, '');
    assert.deepEqual(applyTaskEvent(s, 'task_other', { type: 'text-delta', text: 'nope' }, 5), []);
  });

  it('host model, applyOps and the webview store agree after a long stream', () => {
    const events: TaskEvent[] = [];
    for (let t = 1; t <= 20; t++) {
      events.push({ type: 'turn-start', turn: t });
      for (let k = 0; k < 10; k++) events.push({ type: 'text-delta', text: `w${t}.${k} ` });
      events.push(
        { type: 'tool-call', call: { ...call, id: `c${t}` } },
        { type: 'tool-result', result: { toolCallId: `c${t}`, name: 'fs.read', ok: true, content: 'data', truncated: false } },
      );
    }
    events.push({ type: 'finished', status: 'completed', message: 'done' });
    const { s, ops } = run(events);
    const store = new ChatStore();
    store.apply(ops);
    assert.deepEqual(store.items, s.items);
    assert.deepEqual(applyOps([], ops), s.items);
    assert.equal(store.running, false);
  });
});
