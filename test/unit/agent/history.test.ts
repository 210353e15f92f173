// A chat's follow-up carries the conversation: task/start `history` reaches the model as earlier turns, bounded.
import { strict as assert } from 'node:assert';
import type { ChatMessage, StreamEvent } from '../../../protocol/src/agent';
import { boundHistory } from '../../../protocol/src/history';
import { MAX_HISTORY_CHARS, TaskStartParams } from '../../../protocol/src/methods/agent';
import { fitWindow, historyMessages } from '../../../kernel/src/agent/context';
import { runAgentTask } from '../../../kernel/src/agent/loop';
import { modelInfo } from '../../../kernel/src/agent/models';
import type { ProviderRequest } from '../../../kernel/src/agent/providers/types';
import { ToolRouter } from '../../../kernel/src/agent/router';
import { Sanitiser } from '../../../kernel/src/agent/sanitise';
import { counterFor } from '../../../kernel/src/agent/tokens';

const info = modelInfo('gpt-4o');
const counter = counterFor(info);

describe('conversation history (task/start history)', () => {
  it('the model gets the earlier turns before the new prompt', async () => {
    const seen: ProviderRequest[] = [];
    const provider = {
      name: 'spy',
      async *stream(req: ProviderRequest): AsyncIterable<StreamEvent> {
        seen.push({ ...req, messages: [...req.messages] });
        yield { type: 'text-delta', text: 'ok' };
        yield { type: 'finish', reason: 'stop' };
      },
    };
    const router = new ToolRouter([], {
      policy: { evaluate: () => ({ decision: 'deny', reason: 'x' }) },
      sanitiser: new Sanitiser(),
      counter,
    });
    const r = await runAgentTask({
      prompt: 'now also test mean',
      history: [
        { role: 'user', text: 'test median' },
        { role: 'assistant', text: 'Added test/median.test.js' },
      ],
      model: 'gpt-4o',
      modelInfo: info,
      provider,
      router,
      counter,
      routeContext: { workspace: '/nonexistent', taskId: 'task_h' },
      signal: new AbortController().signal,
      onEvent: () => undefined,
    });
    assert.equal(r.status, 'completed');
    assert.deepEqual(seen[0]!.messages, [
      { role: 'user', content: 'test median' },
      { role: 'assistant', content: 'Added test/median.test.js', toolCalls: [] },
      { role: 'user', content: 'now also test mean' },
    ]);
  });

  it('turns become alternating messages that start with the person and end with an answer', () => {
    assert.deepEqual(
      historyMessages([
        { role: 'assistant', text: 'orphan' },
        { role: 'user', text: 'a' },
        { role: 'user', text: 'b' },
      ]),
      [
        { role: 'user', content: 'a\n\nb' },
        { role: 'assistant', content: '(no answer: that task ended without one)', toolCalls: [] },
      ],
    );
  });

  it('a full window summarises the history first and keeps the new prompt whole', () => {
    const long = 'word '.repeat(3000);
    const msgs: ChatMessage[] = [
      ...historyMessages([
        { role: 'user', text: `old question ${long}` },
        { role: 'assistant', text: `old answer ${long}` },
      ]),
      { role: 'user', content: 'the new prompt' },
    ];
    const w = fitWindow(msgs, 2000, counter, 2);
    assert.ok(w.tokens <= 2000, `fits (${w.tokens})`);
    assert.equal(w.dropped, 2);
    assert.equal(w.messages.length, 1);
    assert.match(w.messages[0]!.content as string, /earlier messages were removed[\s\S]*- user: old question[\s\S]*\n\nthe new prompt$/);
    // Without history the window is the same as before.
    assert.deepEqual(fitWindow([{ role: 'user', content: 'x' }], 2000, counter).messages, [{ role: 'user', content: 'x' }]);
  });

  it('task/start validates the history: bounded in turns and characters', () => {
    const ok = TaskStartParams.safeParse({ prompt: 'p', history: [{ role: 'user', text: 'a' }] });
    assert.equal(ok.success, true);
    assert.equal(TaskStartParams.safeParse({ prompt: 'p', history: [{ role: 'system', text: 'a' }] }).success, false);
    assert.equal(
      TaskStartParams.safeParse({ prompt: 'p', history: Array.from({ length: 201 }, () => ({ role: 'user', text: 'a' })) }).success,
      false,
    );
    const big = Array.from({ length: 5 }, () => ({ role: 'user' as const, text: 'x'.repeat(90_000) }));
    assert.equal(TaskStartParams.safeParse({ prompt: 'p', history: big }).success, false);
    const kept = boundHistory(big);
    assert.equal(kept.length, 4, 'the newest turns that fit');
    assert.ok(kept.reduce((n, t) => n + t.text.length, 0) <= MAX_HISTORY_CHARS);
    assert.equal(TaskStartParams.safeParse({ prompt: 'p', history: kept }).success, true);
    const one = boundHistory([
      { role: 'assistant', text: 'y'.repeat(150_000) },
      { role: 'user', text: '  ' },
    ]);
    assert.equal(one.length, 1);
    assert.equal(one[0]!.text.length, 100_000);
  });
});
