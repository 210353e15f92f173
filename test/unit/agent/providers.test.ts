// Drives the real vendor SDKs (through our adapters) against loopback fakes that speak each vendor's HTTP + SSE format.
import { strict as assert } from 'node:assert';
import type { StreamEvent } from '../../../protocol/src/agent';
import { AnthropicProvider } from '../../../kernel/src/agent/providers/anthropic';
import { GeminiProvider } from '../../../kernel/src/agent/providers/gemini';
import { OpenAIChatProvider } from '../../../kernel/src/agent/providers/openai-chat';
import { createOpenAICompatibleProvider } from '../../../kernel/src/agent/providers/openai-compatible';
import { OpenAIResponsesProvider } from '../../../kernel/src/agent/providers/openai-responses';
import type { IProvider, ProviderRequest } from '../../../kernel/src/agent/providers/types';
import { RetryingProvider, type RetryInfo } from '../../../kernel/src/agent/retry';
import { anthropicError, anthropicTurn, startAnthropicFake } from '../../fakes/anthropic';
import { geminiError, geminiTurn, startGeminiFake } from '../../fakes/gemini';
import { chatTurn, openaiError, responsesTurn, startOpenAIFake } from '../../fakes/openai';
import type { FakeResponse, FakeVendorServer, TurnScript } from '../../fakes/server';

interface Vendor {
  name: string;
  start: () => Promise<FakeVendorServer>;
  make: (url: string) => IProvider;
  turn: (s: TurnScript, cutAfter?: number) => FakeResponse;
  error: (status: number, msg: string, headers?: Record<string, string>) => FakeResponse;
  /** Gemini sends each call whole and has no ids unless the model supplies them. */
  streamsArgs: boolean;
}

const vendors: Vendor[] = [
  {
    name: 'openai chat',
    start: startOpenAIFake,
    make: (u) => new OpenAIChatProvider({ apiKey: 'sk-test', baseURL: `${u}/v1` }),
    turn: (s, c) => chatTurn(s, { cutAfter: c }),
    error: openaiError,
    streamsArgs: true,
  },
  {
    name: 'openai responses',
    start: startOpenAIFake,
    make: (u) => new OpenAIResponsesProvider({ apiKey: 'sk-test', baseURL: `${u}/v1` }),
    turn: (s, c) => responsesTurn(s, { cutAfter: c }),
    error: openaiError,
    streamsArgs: true,
  },
  {
    name: 'openai-compatible (ollama)',
    start: startOpenAIFake,
    make: (u) => createOpenAICompatibleProvider({ baseURL: `${u}/v1` }),
    turn: (s, c) => chatTurn(s, { cutAfter: c, model: 'qwen2.5-coder:7b' }),
    error: openaiError,
    streamsArgs: true,
  },
  {
    name: 'anthropic',
    start: startAnthropicFake,
    make: (u) => new AnthropicProvider({ apiKey: 'sk-ant-test', baseURL: u }),
    turn: (s, c) => anthropicTurn(s, { cutAfter: c }),
    error: anthropicError,
    streamsArgs: true,
  },
  {
    name: 'gemini',
    start: startGeminiFake,
    make: (u) => new GeminiProvider({ apiKey: 'AIza-test', baseURL: u }),
    turn: (s, c) => geminiTurn(s, { cutAfter: c }),
    error: geminiError,
    streamsArgs: false,
  },
];

const req: ProviderRequest = {
  model: 'test-model',
  system: 'You are careful.',
  messages: [
    { role: 'user', content: 'read a.txt' },
    { role: 'assistant', content: '', toolCalls: [{ id: 'call_prev', name: 'fs.read', arguments: '{"path":"a.txt"}' }] },
    { role: 'tool', toolCallId: 'call_prev', name: 'fs.read', content: 'hello', isError: false },
  ],
  tools: [
    {
      name: 'fs.read',
      description: 'read a file',
      inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
      capabilities: ['fs.read'],
    },
  ],
};

async function collect(p: IProvider, signal = new AbortController().signal): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of p.stream(req, signal)) out.push(e);
  return out;
}

for (const v of vendors) {
  describe(`provider: ${v.name} (real SDK against fake server)`, () => {
    let srv: FakeVendorServer;
    beforeEach(async () => {
      srv = await v.start();
    });
    afterEach(async () => {
      await srv.close();
    });

    it('streams text deltas, usage and a stop finish', async () => {
      srv.enqueue(v.turn({ text: ['Hel', 'lo', ' world'], usage: { input: 12, output: 3 } }));
      const evs = await collect(v.make(srv.url));
      assert.equal(
        evs
          .filter((e) => e.type === 'text-delta')
          .map((e) => (e as { text: string }).text)
          .join(''),
        'Hello world',
      );
      const usage = evs.find((e) => e.type === 'usage');
      assert.deepEqual(usage && usage.type === 'usage' && [usage.usage.inputTokens, usage.usage.outputTokens], [12, 3]);
      assert.deepEqual(evs[evs.length - 1], { type: 'finish', reason: 'stop' });
      assert.equal(srv.requests.length, 1);
    });

    it('sends the conversation and tools in the vendor format (tool names mapped, previous call and result included)', async () => {
      srv.enqueue(v.turn({ text: ['ok'] }));
      await collect(v.make(srv.url));
      const body = JSON.stringify(srv.requests[0].body);
      assert.match(body, /fs__read/);
      assert.doesNotMatch(body, /"fs\.read"/);
      assert.match(body, /call_prev/);
      assert.match(body, /You are careful\./);
    });

    it('streams tool-call arguments and normalises parallel calls (ids, indices, finish=tool-calls)', async () => {
      srv.enqueue(
        v.turn({
          calls: [
            { id: 'call_a', name: 'fs__read', args: ['{"pa', 'th":"a.ts"', '}'] },
            { id: 'call_b', name: 'search__grep', args: ['{"pattern":', '"TODO"}'] },
          ],
          usage: { input: 50, output: 20 },
        }),
      );
      const evs = await collect(v.make(srv.url));
      const starts = evs.filter((e) => e.type === 'tool-call-start');
      const ends = evs.filter((e): e is Extract<StreamEvent, { type: 'tool-call-end' }> => e.type === 'tool-call-end');
      assert.deepEqual(
        starts.map((e) => e.type === 'tool-call-start' && [e.index, e.name]),
        [
          [0, 'fs.read'],
          [1, 'search.grep'],
        ],
      );
      assert.deepEqual(
        ends.map((e) => [e.index, e.name, JSON.parse(e.arguments)]),
        [
          [0, 'fs.read', { path: 'a.ts' }],
          [1, 'search.grep', { pattern: 'TODO' }],
        ],
      );
      assert.equal(new Set(ends.map((e) => e.id)).size, 2, 'each call has its own id');
      if (v.name !== 'gemini')
        assert.deepEqual(
          ends.map((e) => e.id),
          ['call_a', 'call_b'],
        );
      const deltas = evs.filter((e) => e.type === 'tool-call-delta');
      if (v.streamsArgs) assert.ok(deltas.length >= 5, `arguments arrive in pieces (${deltas.length})`);
      assert.deepEqual(evs[evs.length - 1], { type: 'finish', reason: 'tool-calls' });
    });

    it('a 400 is not retried and surfaces a PROVIDER_REJECTED error', async () => {
      srv.enqueue(v.error(400, 'bad tool schema'), v.turn({ text: ['never'] }));
      const retries: RetryInfo[] = [];
      await assert.rejects(
        collect(new RetryingProvider(v.make(srv.url), { onRetry: (r) => retries.push(r), baseDelayMs: 1 })),
        (e: any) => e.code === 'PROVIDER_REJECTED' && /bad tool schema/.test(e.message),
      );
      assert.equal(retries.length, 0);
      assert.equal(srv.requests.length, 1);
    });

    it('a 429 with Retry-After is retried after at least that long, and the retry is reported', async () => {
      srv.enqueue(v.error(429, 'slow down', { 'retry-after': '0.3' }), v.turn({ text: ['after retry'] }));
      const retries: RetryInfo[] = [];
      const t = Date.now();
      const evs = await collect(
        new RetryingProvider(v.make(srv.url), { onRetry: (r) => retries.push(r), baseDelayMs: 1, random: () => 0 }),
      );
      assert.ok(Date.now() - t >= 290, `waited ${Date.now() - t} ms`);
      assert.equal(retries.length, 1);
      assert.equal(retries[0].code, 'PROVIDER_RATE_LIMITED');
      assert.equal(retries[0].delayMs, 300);
      assert.equal(
        evs
          .filter((e) => e.type === 'text-delta')
          .map((e) => (e as { text: string }).text)
          .join(''),
        'after retry',
      );
    });

    it('a 503 is retried with backoff; retries are bounded', async () => {
      srv.enqueue(v.error(503, 'overloaded'), v.error(503, 'overloaded'), v.error(503, 'overloaded'));
      const retries: RetryInfo[] = [];
      await assert.rejects(
        collect(new RetryingProvider(v.make(srv.url), { maxAttempts: 3, baseDelayMs: 5, onRetry: (r) => retries.push(r) })),
        (e: any) => e.code === 'PROVIDER_UNAVAILABLE',
      );
      assert.equal(retries.length, 2);
      assert.equal(srv.requests.length, 3);
    });

    it('a stream cut mid-way becomes a retryable error; the retrying provider restarts the turn and says to discard partial output', async () => {
      const cutTurn = () => {
        const r = v.turn({ text: ['part', 'ial', ' more', ' text'] });
        return r.kind === 'sse' ? { ...r, cutAfter: r.frames.length - 2 } : r;
      };
      srv.enqueue(cutTurn());
      const bare = await collect(v.make(srv.url));
      assert.ok(
        bare.some((e) => e.type === 'text-delta'),
        'partial text arrived before the cut',
      );
      const err = bare[bare.length - 1];
      assert.equal(err.type, 'error');
      assert.ok(err.type === 'error' && err.retryable, JSON.stringify(err));
      srv.enqueue(cutTurn(), v.turn({ text: ['whole'] }));
      const retries: RetryInfo[] = [];
      const evs = await collect(new RetryingProvider(v.make(srv.url), { onRetry: (r) => retries.push(r), baseDelayMs: 1 }));
      assert.equal(retries.length, 1);
      assert.equal(retries[0].discardPartial, true);
      assert.deepEqual(evs[evs.length - 1], { type: 'finish', reason: 'stop' });
    });

    it('aborting mid-stream stops the request (the server sees the connection close)', async () => {
      srv.enqueue({ kind: 'hang' });
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('stop pressed')), 50);
      await assert.rejects(collect(v.make(srv.url), ac.signal));
      for (let i = 0; i < 50 && srv.aborted === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(srv.aborted, 1);
    });
  });
}
