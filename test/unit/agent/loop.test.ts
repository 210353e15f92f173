// Agent loop driven by the replay provider with in-process tools: multi-turn task, denial, budget stop, cancel, recording.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { StreamEvent, TaskEvent } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import type { IOutputVolume, IPolicy } from '../../../kernel/src/agent/interfaces';
import { runAgentTask } from '../../../kernel/src/agent/loop';
import { modelInfo } from '../../../kernel/src/agent/models';
import { OpenAIChatProvider } from '../../../kernel/src/agent/providers/openai-chat';
import { RecordingProvider, ReplayProvider, type ReplayTurn } from '../../../kernel/src/agent/providers/replay';
import { ToolRouter } from '../../../kernel/src/agent/router';
import { Sanitiser } from '../../../kernel/src/agent/sanitise';
import { counterFor } from '../../../kernel/src/agent/tokens';
import { nativeTools } from '../../../kernel/src/agent/tools/native';
import { sandboxedTools } from '../../../kernel/src/agent/tools/sandboxed';
import { chatTurn, startOpenAIFake } from '../../fakes/openai';

const call = (index: number, id: string, name: string, args: object): StreamEvent[] => [
  { type: 'tool-call-start', index, id, name },
  { type: 'tool-call-delta', index, id, argumentsDelta: JSON.stringify(args) },
  { type: 'tool-call-end', index, id, name, arguments: JSON.stringify(args) },
];
const usage = (i: number, o: number): StreamEvent => ({ type: 'usage', usage: { inputTokens: i, outputTokens: o } });
const fin = (reason: 'stop' | 'tool-calls'): StreamEvent => ({ type: 'finish', reason });

/** Output volume kept in memory over the read-only workspace (the real one is a sandbox overlay). */
class MemoryOutput implements IOutputVolume {
  readonly files = new Map<string, string>();
  constructor(private readonly ws: string) {}
  async write(rel: string, content: string) {
    this.files.set(rel, content);
  }
  async read(rel: string) {
    return this.files.get(rel) ?? (fs.existsSync(path.join(this.ws, rel)) ? fs.readFileSync(path.join(this.ws, rel), 'utf8') : undefined);
  }
}

const policy: IPolicy = {
  evaluate: (r) =>
    r.capabilities.includes('exec')
      ? { decision: 'deny', matched: 'no-exec', reason: 'commands are not allowed in strict mode' }
      : { decision: 'allow', matched: 'default', reason: 'ok' },
};

describe('agent loop (replay provider, in-process tools)', () => {
  let ws: string;
  before(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-loop-'));
    fs.mkdirSync(path.join(ws, 'src'));
    fs.writeFileSync(path.join(ws, 'src/math.ts'), 'export const add = (a: number, b: number) => a - b; // BUG\n');
    fs.writeFileSync(path.join(ws, 'src/util.ts'), 'export const twice = (x: number) => x * 3; // BUG\n');
  });
  after(() => fs.rmSync(ws, { recursive: true, force: true }));

  const setup = (turns: ReplayTurn[], extra: Partial<Parameters<typeof runAgentTask>[0]> = {}) => {
    const events: TaskEvent[] = [];
    const output = new MemoryOutput(ws);
    const info = modelInfo('gpt-4o');
    const counter = counterFor(info);
    const router = new ToolRouter([...nativeTools, ...sandboxedTools], {
      policy,
      sanitiser: new Sanitiser(),
      counter,
      onEvent: (e) => events.push(e),
    });
    const opts = {
      prompt: 'fix the BUGs',
      model: 'gpt-4o',
      modelInfo: info,
      provider: new ReplayProvider(turns),
      router,
      routeContext: { workspace: ws, taskId: 'task_loop', output },
      counter,
      onEvent: (e: TaskEvent) => events.push(e),
      signal: new AbortController().signal,
      ...extra,
    };
    return { events, output, opts };
  };

  const script: ReplayTurn[] = [
    {
      turn: 1,
      events: [
        { type: 'text-delta', text: 'Looking for bugs.' },
        ...call(0, 'c1', 'search.grep', { pattern: 'BUG' }),
        usage(100, 20),
        fin('tool-calls'),
      ],
    },
    {
      turn: 2,
      events: [
        ...call(0, 'c2', 'fs.read', { path: 'src/math.ts' }),
        ...call(1, 'c3', 'fs.read', { path: 'src/util.ts' }),
        usage(200, 20),
        fin('tool-calls'),
      ],
    },
    {
      turn: 3,
      events: [
        ...call(0, 'c4', 'fs.edit', { path: 'src/math.ts', oldText: 'a - b; // BUG', newText: 'a + b;' }),
        ...call(1, 'c5', 'fs.edit', { path: 'src/util.ts', oldText: 'x * 3; // BUG', newText: 'x * 2;' }),
        ...call(2, 'c6', 'exec', { argv: ['npm', 'test'] }),
        usage(300, 40),
        fin('tool-calls'),
      ],
    },
    {
      turn: 4,
      events: [
        { type: 'text-delta', text: 'Fixed both; ' },
        { type: 'text-delta', text: 'could not run tests (denied).' },
        usage(400, 10),
        fin('stop'),
      ],
    },
  ];

  it('runs a multi-turn task: grep, parallel reads, two edits into the output volume, a denied exec reported to the model', async () => {
    const { events, output, opts } = setup(script);
    const r = await runAgentTask(opts);
    assert.equal(r.status, 'completed');
    assert.equal(r.message, 'Fixed both; could not run tests (denied).');
    assert.equal(r.turns, 4);
    assert.deepEqual(
      [...output.files.entries()],
      [
        ['src/math.ts', 'export const add = (a: number, b: number) => a + b;\n'],
        ['src/util.ts', 'export const twice = (x: number) => x * 2;\n'],
      ],
    );
    assert.equal(fs.readFileSync(path.join(ws, 'src/math.ts'), 'utf8').includes('BUG'), true, 'the workspace itself is untouched');
    const results = events.filter((e): e is Extract<TaskEvent, { type: 'tool-result' }> => e.type === 'tool-result').map((e) => e.result);
    assert.deepEqual(
      results.map((x) => [x.name, x.ok]),
      [
        ['search.grep', true],
        ['fs.read', true],
        ['fs.read', true],
        ['fs.edit', true],
        ['fs.edit', true],
        ['exec', false],
      ],
    );
    assert.match(results[0].content, /src\/math.ts:1:.*\nsrc\/util.ts:1:/);
    assert.match(results[5].content, /POLICY_DENIED.*commands are not allowed/);
    const toolMsg = r.messages.find((m) => m.role === 'tool' && m.toolCallId === 'c6');
    assert.ok(toolMsg && toolMsg.role === 'tool' && toolMsg.isError, 'the denial went back to the model');
    const last = events[events.length - 1];
    assert.equal(last.type, 'finished');
    const u = events.filter((e) => e.type === 'usage').pop();
    assert.equal(u?.type === 'usage' && u.totalTokens, 1090);
  });

  it('stops at the turn budget with a clear message', async () => {
    const { events, opts } = setup(script, { budgets: { maxTurns: 2 } });
    const r = await runAgentTask(opts);
    assert.equal(r.status, 'budget-exceeded');
    assert.equal(r.message, 'Task stopped: the turns budget is used up (2 model turns of 2).');
    assert.deepEqual(events[events.length - 1], { type: 'finished', status: 'budget-exceeded', message: r.message, error: r.error });
  });

  it('stops on the token budget after the turn that crossed it', async () => {
    const { opts } = setup(script, { budgets: { maxTokens: 300 } });
    const r = await runAgentTask(opts);
    assert.equal(r.status, 'budget-exceeded');
    assert.match(r.message, /tokens budget is used up \(340 tokens of 300 tokens\)/);
    assert.equal(r.turns, 2);
  });

  it('cancel mid-stream: the turn ends, no tools run, status cancelled', async () => {
    const ac = new AbortController();
    const long: ReplayTurn[] = [
      {
        turn: 1,
        events: [
          ...Array.from({ length: 200 }, (_, i): StreamEvent => ({ type: 'text-delta', text: `t${i} ` })),
          ...call(0, 'c1', 'fs.list', {}),
          fin('tool-calls'),
        ],
      },
    ];
    const { events, opts } = setup(long, {
      signal: ac.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'text-delta' && e.text === 't5 ') ac.abort();
      },
    });
    const r = await runAgentTask(opts);
    assert.equal(r.status, 'cancelled');
    assert.ok(events.filter((e) => e.type === 'text-delta').length < 20);
    assert.equal(events.filter((e) => e.type === 'tool-result').length, 0);
  });

  it('a provider error ends the task as failed with the error', async () => {
    const { opts } = setup([
      { turn: 1, events: [{ type: 'error', error: { code: 'PROVIDER_AUTH', message: 'bad key' }, retryable: false }] },
    ]);
    const r = await runAgentTask(opts);
    assert.equal(r.status, 'failed');
    assert.equal(r.error?.code, 'PROVIDER_AUTH');
  });

  it('a workspace still being made: the model is asked at once, the tools wait for it, and its failure fails the task', async () => {
    let make!: (c: { workspace: string; taskId: string; output: MemoryOutput }) => void;
    const later = new Promise<{ workspace: string; taskId: string; output: MemoryOutput }>((r) => (make = r));
    const { events, output, opts } = setup(script.slice(0, 1).concat(script.slice(3)), { routeContext: later });
    const asked: number[] = [];
    const inner = opts.provider;
    const provider = {
      name: inner.name,
      stream: (req: Parameters<typeof inner.stream>[0], sig: AbortSignal) => (asked.push(1), inner.stream(req, sig)),
    };
    const run = runAgentTask({ ...opts, provider });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(asked.length, 1, 'the first model request did not wait for the workspace');
    assert.equal(events.filter((e) => e.type === 'tool-result').length, 0, 'no tool ran before it was ready');
    make({ workspace: ws, taskId: 'task_loop', output });
    const r = await run;
    assert.equal(r.status, 'completed');
    assert.equal(events.filter((e) => e.type === 'tool-result').length, 1);

    const long: ReplayTurn[] = [
      { turn: 1, events: Array.from({ length: 5000 }, (_, i): StreamEvent => ({ type: 'text-delta', text: `t${i} ` })) },
    ];
    const broken = Promise.reject(new AirlockError('PATCH_VOLUME_FAILED', 'the output volume could not be made'));
    const failing = setup(long, { routeContext: broken });
    const f = await runAgentTask(failing.opts);
    assert.equal(f.status, 'failed');
    assert.equal(f.error?.code, 'PATCH_VOLUME_FAILED');
    assert.ok(failing.events.filter((e) => e.type === 'text-delta').length < 5000, 'the model request was stopped');
  });

  it('records a live session (real SDK against the fake) and replays it to the same result offline', async () => {
    const srv = await startOpenAIFake();
    const file = path.join(ws, 'session.jsonl');
    try {
      srv.enqueue(
        chatTurn({ calls: [{ id: 'call_x', name: 'fs__exists', args: ['{"path":', '"src/math.ts"}'] }], usage: { input: 10, output: 5 } }),
        chatTurn({ text: ['it ', 'exists'], usage: { input: 20, output: 2 } }),
      );
      const live = setup([]);
      const recorded = await runAgentTask({
        ...live.opts,
        provider: new RecordingProvider(new OpenAIChatProvider({ apiKey: 'sk-test', baseURL: `${srv.url}/v1` }), file),
      });
      assert.equal(recorded.status, 'completed');
      assert.equal(fs.readFileSync(file, 'utf8').trim().split('\n').length, 2);
      const diverged: number[] = [];
      const replay = setup([]);
      const replayed = await runAgentTask({
        ...replay.opts,
        provider: ReplayProvider.fromFile(file, { onDiverge: (t) => diverged.push(t) }),
      });
      assert.equal(replayed.message, 'it exists');
      assert.deepEqual(replayed.messages, recorded.messages);
      assert.deepEqual(diverged, [], 'the replayed run asked exactly what the recorded one asked');
      assert.deepEqual(
        replay.events.map((e) => e.type),
        live.events.map((e) => e.type),
      );
    } finally {
      await srv.close();
    }
  });
});
