// A live provider through the bundled kernel in its container: the official OpenAI SDK (a lazily loaded vendor
// bundle) streams from a loopback server speaking OpenAI's wire format, tool calls included, and the key stays secret.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { KernelSupervisor } from '../../../bootstrap';
import { chatTurn, startOpenAIFake } from '../../fakes/openai';
import type { FakeVendorServer } from '../../fakes/server';
import { removeKernel, runTask, sampleWorkspace, startKernel } from './helpers';

describe('agent with a live OpenAI-compatible provider (kernel container, host network)', function () {
  this.timeout(180_000);
  let sup: KernelSupervisor;
  let fake: FakeVendorServer;
  let base: string;
  before(async () => {
    const ws = sampleWorkspace();
    base = ws.base;
    [sup, fake] = await Promise.all([startKernel(ws.workspace, ws.stateRoot), startOpenAIFake()]);
  });
  after(async () => { if (sup) await removeKernel(sup); await fake?.close(); fs.rmSync(base, { recursive: true, force: true }); });

  it('streams text and a tool call from the real SDK, runs the tool, and sends the key only as a bearer token', async () => {
    const client = await sup.ready();
    fake.enqueue(
      chatTurn({ text: ['Reading ', 'the code.'], calls: [{ id: 'call_1', name: 'fs__read', args: ['{"path":', '"src/stats.js"}'] }], usage: { input: 100, output: 20 } }),
      chatTurn({ text: ['`median` sorts as strings.'], usage: { input: 200, output: 10 } }),
    );
    await client.request('provider/configure', { provider: 'openai-compatible', apiKey: 'sk-test-live-0123456789abcdef' });
    const run = await runTask(client, { prompt: 'What is wrong with median?', provider: 'openai-compatible', model: 'fake-model', baseUrl: `${fake.url}/v1`, mode: 'explore' });
    const done = await run.finished;
    assert.equal(done.status, 'completed', JSON.stringify(done));
    const text = run.events.filter((e) => e.type === 'text-delta').map((e) => (e as { text: string }).text).join('');
    assert.equal(text, 'Reading the code.`median` sorts as strings.');
    const result = run.events.find((e) => e.type === 'tool-result') as { result: { ok: boolean; content: string } } | undefined;
    assert.equal(result?.result.ok, true);
    assert.match(result!.result.content, /function median/);
    assert.equal(fake.requests.length, 2);
    assert.equal(fake.requests[0].headers.authorization, 'Bearer sk-test-live-0123456789abcdef');
    assert.equal(fake.requests[0].body.model, 'fake-model');
    // The second request carries the tool result back to the model.
    assert.ok(JSON.stringify(fake.requests[1].body.messages).includes('function median'));
    const audit = JSON.stringify((await client.request('audit/query', { session: run.taskId, limit: 200, payloads: true })).entries);
    assert.ok(!audit.includes('sk-test-live-0123456789abcdef'), 'the key never reaches the audit log');
  });
});
