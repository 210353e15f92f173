// Provider vscode-lm: the kernel's bridge (lm/request out, lm/respond in: validated, capped, one responder) and the
// extension's adapter against a fake `vscode.lm` (messages, tools and parts translated both ways; absent = not offered).
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { ChatMessage, StreamEvent } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import type { LmRequest } from '../../../protocol/src/methods/lm';
import { LM_LIMITS, LmBridge, VscodeLmProvider } from '../../../kernel/src/agent/providers/vscode-lm';
import { answer, availableModels, type LmApi, type LmModel, type LmParts, toLmMessages } from '../../../extension/src/lm/lmAdapter';

// A fake of the slice of vscode's API the adapter uses: parts are plain classes, messages record role and content.
class TextPart {
  constructor(readonly value: string) {}
}
class ToolCallPart {
  constructor(
    readonly callId: string,
    readonly name: string,
    readonly input: object,
  ) {}
}
class ToolResultPart {
  constructor(
    readonly callId: string,
    readonly content: unknown[],
  ) {}
}
const parts: LmParts = {
  User: (content) => ({ role: 'user', content }),
  Assistant: (content) => ({ role: 'assistant', content }),
  TextPart,
  ToolCallPart,
  ToolResultPart,
};

function fakeModel(answerParts: unknown[], seen: { messages?: unknown[]; options?: unknown }[] = []): LmModel {
  return {
    id: 'copilot-gpt-4o',
    name: 'GPT-4o',
    vendor: 'copilot',
    family: 'gpt-4o',
    sendRequest: async (messages, options) => {
      seen.push({ messages, options });
      return {
        stream: (async function* () {
          for (const p of answerParts) yield p;
        })(),
      };
    },
  };
}
const fakeLm = (models: LmModel[]): LmApi => ({ selectChatModels: async (sel) => models.filter((m) => !sel?.id || m.id === sel.id) });

/** Kernel and extension joined in-process: events the bridge emits are answered by the adapter, as over the IPC. */
function joined(lm: LmApi, limits = LM_LIMITS) {
  const emitted: Array<{ name: string; data: unknown }> = [];
  const connection = {};
  let bridge!: LmBridge;
  const events = {
    emit: (name: string, data: unknown) => {
      emitted.push({ name, data });
      if (name === 'lm/request') {
        const req = data as LmRequest;
        void answer(
          req,
          lm,
          parts,
          async (ev, done) => bridge.respond({ requestId: req.requestId, events: ev, done }, connection),
          { isCancellationRequested: false },
          () => undefined,
        );
      }
    },
  };
  bridge = new LmBridge(events as never, limits);
  return { bridge, emitted };
}

async function collect(it: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const request = {
  model: 'auto',
  system: 'You are Airlock.',
  tools: [{ name: 'fs.read', description: 'read a file', inputSchema: { type: 'object' }, capabilities: [] }],
  messages: [
    { role: 'user', content: 'read a.txt' },
    { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'fs.read', arguments: '{"path":"a.txt"}' }] },
    { role: 'tool', toolCallId: 'c1', name: 'fs.read', content: 'hello', isError: false },
  ] as ChatMessage[],
};

describe('provider vscode-lm', () => {
  it('translates the conversation: system first, tool calls as ToolCallParts, results together in one user message', () => {
    const msgs = toLmMessages(
      { system: 'sys', messages: [...request.messages, { role: 'tool', toolCallId: 'c2', name: 'exec', content: 'boom', isError: true }] },
      parts,
    ) as Array<{ role: string; content: unknown }>;
    assert.deepEqual(
      msgs.map((m) => m.role),
      ['user', 'user', 'assistant', 'user'],
    );
    assert.equal(msgs[0]!.content, 'sys');
    assert.deepEqual(msgs[2]!.content, [new ToolCallPart('c1', 'fs.read', { path: 'a.txt' })]);
    assert.deepEqual(msgs[3]!.content, [
      new ToolResultPart('c1', [new TextPart('hello')]),
      new ToolResultPart('c2', [new TextPart('ERROR: boom')]),
    ]);
  });

  it('a turn goes through the extension host and back: text and a tool call, with the names mapped both ways', async () => {
    const seen: { messages?: unknown[]; options?: unknown }[] = [];
    const lm = fakeLm([fakeModel([new TextPart('Reading. '), new ToolCallPart('c9', 'fs__read', { path: 'b.txt' })], seen)]);
    const { bridge, emitted } = joined(lm);
    const events = await collect(new VscodeLmProvider(bridge, 'task_1').stream({ ...request }, new AbortController().signal));
    assert.deepEqual(events, [
      { type: 'text-delta', text: 'Reading. ' },
      { type: 'tool-call-start', index: 0, id: 'c9', name: 'fs.read' },
      { type: 'tool-call-end', index: 0, id: 'c9', name: 'fs.read', arguments: '{"path":"b.txt"}' },
      { type: 'finish', reason: 'tool-calls' },
    ]);
    const req = emitted.find((e) => e.name === 'lm/request')!.data as LmRequest;
    assert.equal(req.taskId, 'task_1');
    assert.deepEqual(
      (seen[0]!.options as { tools: Array<{ name: string }> }).tools.map((t) => t.name),
      ['fs__read'],
    );
    assert.deepEqual((seen[0]!.messages as Array<{ content: unknown }>)[2]!.content, [
      new ToolCallPart('c1', 'fs__read', { path: 'a.txt' }),
    ]);
  });

  it('nobody answers (no VS Code window): the turn fails with PROVIDER_VSCODE_LM_UNAVAILABLE instead of waiting', async () => {
    const bridge = new LmBridge({ emit: () => undefined }, { ...LM_LIMITS, ackMs: 50 });
    await assert.rejects(
      collect(bridge.turn({ taskId: 't', model: 'auto', messages: [], tools: [] }, new AbortController().signal)),
      (e: AirlockError) => e.code === 'PROVIDER_VSCODE_LM_UNAVAILABLE',
    );
  });

  it('an oversized answer is cut with an error; slices from a second connection are refused', async () => {
    const { bridge } = joined(fakeLm([fakeModel([new TextPart('x'.repeat(60)), new TextPart('y'.repeat(60))])]), {
      ...LM_LIMITS,
      maxTextChars: 100,
    });
    const events = await collect(bridge.turn({ taskId: 't', model: 'auto', messages: [], tools: [] }, new AbortController().signal));
    assert.deepEqual(
      events.map((e) => e.type),
      ['text-delta', 'error'],
    );
    assert.equal(events[1]!.type === 'error' && events[1].error.code, 'PROVIDER_RESPONSE_TOO_LARGE');
    const emitted: LmRequest[] = [];
    const b2 = new LmBridge({
      emit: (n: string, d: unknown) => {
        if (n === 'lm/request') emitted.push(d as LmRequest);
      },
    } as never);
    const it = b2.turn({ taskId: 't', model: 'auto', messages: [], tools: [] }, new AbortController().signal)[Symbol.asyncIterator]();
    const first = it.next();
    await new Promise((r) => setImmediate(r));
    const id = emitted[0]!.requestId;
    const a = {},
      b = {};
    assert.equal(b2.respond({ requestId: id, events: [{ type: 'text-delta', text: 'mine' }], done: false }, a), true);
    assert.equal(b2.respond({ requestId: id, events: [{ type: 'text-delta', text: 'theirs' }], done: true }, b), false);
    assert.deepEqual((await first).value, { type: 'text-delta', text: 'mine' });
    assert.equal(b2.respond({ requestId: id, events: [], done: true }, a), true);
    assert.equal((await it.next()).done, true);
    assert.equal(b2.respond({ requestId: id, events: [], done: true }, a), false, 'the request is over');
  });

  it('no model or no API: not offered, and a request says so', async () => {
    assert.deepEqual(await availableModels(undefined), []);
    assert.deepEqual(await availableModels({} as LmApi), []);
    assert.deepEqual(await availableModels(fakeLm([])), []);
    assert.equal((await availableModels(fakeLm([fakeModel([])]))).length, 1);
    const { bridge } = joined(fakeLm([]));
    const events = await collect(bridge.turn({ taskId: 't', model: 'auto', messages: [], tools: [] }, new AbortController().signal));
    assert.equal(events[0]!.type === 'error' && events[0].error.code, 'PROVIDER_VSCODE_LM_UNAVAILABLE');
  });

  it('a cancelled task stops waiting and tells the extension (lm/cancel)', async () => {
    const emitted: string[] = [];
    const bridge = new LmBridge({
      emit: (n: string) => {
        emitted.push(n);
      },
    } as never);
    const ac = new AbortController();
    const p = collect(bridge.turn({ taskId: 't', model: 'auto', messages: [], tools: [] }, ac.signal));
    setTimeout(() => ac.abort(new AirlockError('CANCELLED', 'stop')), 20);
    await assert.rejects(p, (e: AirlockError) => e.code === 'CANCELLED');
    assert.deepEqual(emitted, ['lm/request', 'lm/cancel']);
  });
});
