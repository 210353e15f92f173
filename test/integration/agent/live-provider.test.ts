// A live provider through the bundled kernel in its container: the official OpenAI SDK, run by the provider worker in
// the task's ai-provider sandbox, streams from a loopback server speaking OpenAI's wire format (tool calls included)
// through the kernel's provider endpoint, which adds the key; the local server is reached because the person configured it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { anthropicTurn, startAnthropicFake } from '../../fakes/anthropic';
import { chatTurn, startOpenAIFake } from '../../fakes/openai';
import type { FakeVendorServer } from '../../fakes/server';
import { removeKernel, runTask, sampleWorkspace } from './helpers';
import { KernelSupervisor } from '../../../bootstrap';

describe('agent with live providers: OpenAI-compatible and Anthropic SDKs in the provider sandbox (kernel container, host network)', function () {
  this.timeout(180_000);
  let sup: KernelSupervisor;
  let fake: FakeVendorServer;
  let claude: FakeVendorServer;
  let base: string;
  before(async () => {
    const ws = sampleWorkspace();
    base = ws.base;
    [fake, claude] = await Promise.all([startOpenAIFake(), startAnthropicFake()]);
    sup = await KernelSupervisor.start({
      workspace: ws.workspace,
      stateRoot: ws.stateRoot,
      runtime: 'docker',
      maxRestarts: 2,
    });
  });
  after(async () => {
    if (sup) await removeKernel(sup);
    await fake?.close();
    await claude?.close();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('streams text and a tool call from the real SDK in the provider sandbox, runs the tool; the endpoint adds the key', async () => {
    const client = await sup.ready();
    fake.enqueue(
      chatTurn({
        text: ['Reading ', 'the code.'],
        calls: [{ id: 'call_1', name: 'fs__read', args: ['{"path":', '"src/stats.js"}'] }],
        usage: { input: 100, output: 20 },
      }),
      chatTurn({ text: ['`median` sorts as strings.'], usage: { input: 200, output: 10 } }),
    );
    await client.request('provider/configure', { provider: 'openai-compatible', apiKey: 'sk-test-live-0123456789abcdef' });
    const run = await runTask(client, {
      prompt: 'What is wrong with median?',
      provider: 'openai-compatible',
      model: 'fake-model',
      baseUrl: `${fake.url}/v1`,
      mode: 'explore',
    });
    const done = await run.finished;
    assert.equal(done.status, 'completed', JSON.stringify(done));
    const text = run.events
      .filter((e) => e.type === 'text-delta')
      .map((e) => (e as { text: string }).text)
      .join('');
    assert.equal(text, 'Reading the code.`median` sorts as strings.');
    const result = run.events.find((e) => e.type === 'tool-result') as { result: { ok: boolean; content: string } } | undefined;
    assert.equal(result?.result.ok, true);
    assert.match(result!.result.content, /function median/);
    assert.equal(fake.requests.length, 2);
    assert.equal(fake.requests[0].headers.authorization, 'Bearer sk-test-live-0123456789abcdef');
    assert.equal(fake.requests[0].body.model, 'fake-model');
    // The second request carries the tool result back to the model.
    assert.ok(JSON.stringify(fake.requests[1].body.messages).includes('function median'));
    const entries = (await client.request('audit/query', { session: run.taskId, limit: 200, payloads: true })).entries;
    // Both model requests went out through the provider endpoint of the task's sandbox: the shipped policies have no rule
    // for the loopback server, which is reached because the person configured it as the base URL (kernel:provider).
    const net = (await client.request('audit/query', { action: 'net.connect', subject: `agent:${run.taskId}`, limit: 50, payloads: true }))
      .entries;
    const viaEndpoint = net.filter((e) => (e.payload as { via?: string }).via === 'provider');
    assert.equal(viaEndpoint.length, 2, JSON.stringify(net));
    assert.ok(
      viaEndpoint.every((e) => e.decision === 'allow' && JSON.stringify(e.payload).includes('configured local model server')),
      JSON.stringify(viaEndpoint),
    );
    const audit = JSON.stringify([...entries, ...net]);
    assert.ok(!audit.includes('sk-test-live-0123456789abcdef'), 'the key never reaches the audit log');
  });

  it('an Anthropic task: the SDK in the provider sandbox, the key added by the endpoint as x-api-key', async () => {
    const client = await sup.ready();
    const key = 'sk-ant-test-live-fedcba9876543210';
    claude.enqueue(
      anthropicTurn({
        text: ['Reading.'],
        calls: [{ id: 'toolu_1', name: 'fs__read', args: ['{"path":', '"src/stats.js"}'] }],
        usage: { input: 50, output: 9 },
      }),
      anthropicTurn({ text: ['It sorts as strings.'], usage: { input: 90, output: 6 } }),
    );
    await client.request('provider/configure', { provider: 'anthropic', apiKey: key });
    const run = await runTask(client, {
      prompt: 'What is wrong with median?',
      provider: 'anthropic',
      model: 'claude-fake',
      baseUrl: claude.url,
      mode: 'explore',
    });
    const done = await run.finished;
    assert.equal(done.status, 'completed', JSON.stringify(done));
    const text = run.events
      .filter((e) => e.type === 'text-delta')
      .map((e) => (e as { text: string }).text)
      .join('');
    assert.equal(text, 'Reading.It sorts as strings.');
    assert.equal(claude.requests.length, 2);
    assert.equal(claude.requests[0].url, '/v1/messages');
    assert.equal(claude.requests[0].headers['x-api-key'], key);
    assert.equal(claude.requests[0].headers.authorization, undefined, 'the placeholder the SDK sent was dropped');
    assert.ok(JSON.stringify(claude.requests[1].body.messages).includes('function median'), 'the tool result went back');
    const net = (await client.request('audit/query', { action: 'net.connect', subject: `agent:${run.taskId}`, limit: 50, payloads: true }))
      .entries;
    assert.deepEqual(
      net.map((e) => [(e.payload as { via?: string }).via, (e.payload as { vendor?: string }).vendor, e.decision]),
      [
        ['provider', 'anthropic', 'allow'],
        ['provider', 'anthropic', 'allow'],
      ],
    );
  });

  it("a chat's follow-up (its workflow session) is answered by the worker its last turn kept; another conversation's is not", async () => {
    const client = await sup.ready();
    await client.request('provider/configure', { provider: 'openai-compatible', apiKey: 'sk-test-live-0123456789abcdef' });
    const turn = async (prompt: string, sessionId?: string, chat = true) => {
      fake.enqueue(chatTurn({ text: [`answer to ${prompt}`] }));
      const run = await runTask(client, {
        prompt,
        provider: 'openai-compatible',
        model: 'fake-model',
        baseUrl: `${fake.url}/v1`,
        mode: 'explore',
        chat,
        ...(sessionId ? { sessionId } : {}),
      });
      const done = await run.finished;
      assert.equal(done.status, 'completed', JSON.stringify(done));
      const net = (await client.request('audit/query', { action: 'net.connect', subject: `agent:${run.taskId}`, limit: 5, payloads: true }))
        .entries;
      assert.equal(net.length, 1, JSON.stringify(net));
      const p = net[0]!.payload as { sandbox: string; task: string };
      assert.equal(p.task, run.taskId, 'the request is judged as the turn that made it');
      return { run, sandbox: p.sandbox };
    };
    const first = await turn('first');
    assert.ok(first.run.sessionId);
    // Between turns the kept worker's sandbox serves no task: the provider endpoint refuses anything it sends.
    const kept = async (id: string) => {
      for (let i = 0; i < 50; i++) {
        const s = (await client.request('sandbox/list', {})).sandboxes.find((x) => x.id === id);
        if (s && !s.task) return s;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail(`sandbox ${id} was not kept unbound: ${JSON.stringify((await client.request('sandbox/list', {})).sandboxes)}`);
    };
    assert.equal((await kept(first.sandbox)).state, 'ready');
    const followUp = await turn('second', first.run.sessionId);
    assert.equal(followUp.sandbox, first.sandbox, 'the follow-up reused the conversation worker');
    const other = await turn('elsewhere');
    assert.notEqual(other.sandbox, first.sandbox, "another conversation never gets this one's worker");
    const third = await turn('third', first.run.sessionId);
    assert.equal(third.sandbox, first.sandbox);
    // The trail says which turn the sandbox served: kept after each turn, handed to the next.
    const handovers = (await client.request('audit/query', { resource: first.sandbox, limit: 50, order: 'asc', payloads: true })).entries
      .filter((e) => e.action.startsWith('provider.worker.'))
      .map((e) => [e.action, (e.payload as { task: string }).task]);
    assert.deepEqual(handovers, [
      ['provider.worker.kept', first.run.taskId],
      ['provider.worker.reused', followUp.run.taskId],
      ['provider.worker.kept', followUp.run.taskId],
      ['provider.worker.reused', third.run.taskId],
      ['provider.worker.kept', third.run.taskId],
    ]);
    // A cancelled turn leaves nothing behind: its worker (stopped mid-request) goes with its sandbox.
    fake.enqueue({ kind: 'hang' });
    const stopped = await runTask(client, {
      prompt: 'stopped',
      provider: 'openai-compatible',
      model: 'fake-model',
      baseUrl: `${fake.url}/v1`,
      mode: 'explore',
      chat: true,
      sessionId: first.run.sessionId,
    });
    await stopped.waitFor((e) => e.type === 'turn-start');
    for (let i = 0; i < 100 && !fake.requests.some((r) => JSON.stringify(r.body).includes('stopped')); i++)
      await new Promise((r) => setTimeout(r, 50));
    await client.request('task/cancel', { taskId: stopped.taskId });
    assert.equal((await stopped.finished).status, 'cancelled');
    for (let i = 0; i < 50 && (await client.request('sandbox/list', {})).sandboxes.some((x) => x.id === first.sandbox); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.ok(!(await client.request('sandbox/list', {})).sandboxes.some((x) => x.id === first.sandbox), 'destroyed, not kept');
    const after = await turn('after', first.run.sessionId);
    assert.notEqual(after.sandbox, first.sandbox);
    // A one-shot task (no `chat`: `airlock run`) keeps nothing, in a workflow session or not.
    const once = await turn('once', first.run.sessionId, false);
    for (let i = 0; i < 50 && (await client.request('sandbox/list', {})).sandboxes.some((x) => x.id === once.sandbox); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.ok(!(await client.request('sandbox/list', {})).sandboxes.some((x) => x.id === once.sandbox), 'a one-shot task keeps nothing');
  });
});
