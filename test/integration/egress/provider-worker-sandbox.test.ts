// Provider calls run in the task's ai-provider sandbox: the vendor SDK (in the provider worker) reaches the fake OpenAI
// and Anthropic servers on the host's loopback only through the kernel's provider endpoint, which adds the key; the key
// is nowhere in the sandbox; a crashed worker fails its turn and the next turn gets a new sandbox.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { StreamEvent } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import { loadTemplates } from '../../../core/src/templates';
import { SandboxedProvider } from '../../../kernel/src/agent/providers/sandboxed';
import { SpareWorker } from '../../../kernel/src/agent/provider-worker/spare';
import type { ProviderRequest } from '../../../kernel/src/agent/providers/types';
import { kernelEgress } from '../../../kernel/src/egress/attach';
import type { ProviderUpstream } from '../../../kernel/src/egress/provider-upstream';
import { createRuntime } from '../../../kernel/src/runtime/detect';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { ensureSandboxImages } from '../../../templates/builder/sandbox-images';
import { anthropicTurn, startAnthropicFake } from '../../fakes/anthropic';
import { chatTurn, startOpenAIFake } from '../../fakes/openai';
import type { FakeVendorServer } from '../../fakes/server';
import { MemoryAudit, testPolicy, testResolver } from '../../unit/egress/fixture';

const OPENAI_KEY = 'sk-airlock-worker-test-0a1b2c3d4e5f60718293';
const ANTHROPIC_KEY = 'sk-ant-airlock-worker-test-99887766554433';

/** Looks for a string (given reversed, so its own command line does not hold it) in every process's environment and
 * command line and in every readable file of the sandbox. */
const SEARCH = String.raw`
const fs = require('fs'); const path = require('path'); const needle = [...process.argv[1]].reverse().join(''); const hits = []; let procs = 0;
for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) { procs++; for (const f of ['environ', 'cmdline']) {
  try { if (fs.readFileSync('/proc/' + p + '/' + f, 'latin1').includes(needle)) hits.push('/proc/' + p + '/' + f); } catch {} } }
const walk = (d) => { let es; try { es = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
  for (const e of es) { const f = path.join(d, e.name);
    if (e.isDirectory()) { if (!['/proc', '/sys', '/dev'].includes(f)) walk(f); }
    else if (e.isFile()) { try { if (fs.statSync(f).size < 4 << 20 && fs.readFileSync(f, 'latin1').includes(needle)) hits.push(f); } catch {} } } };
walk('/');
process.stdout.write(JSON.stringify({ hits, procs }));`;

/** Kills the provider worker (the process started by the loader) inside the sandbox. */
/**
 * Finds the worker (not the launcher that started it on its stdio socket: its command line holds the worker's too) and
 * SIGKILLs it a moment after this command has answered: the kernel destroys a sandbox whose worker died, and would cut
 * this command's answer if the kill came first.
 */
const KILL_WORKER = String.raw`
const fs = require('fs'); const pids = [];
for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
  try { const c = fs.readFileSync('/proc/' + p + '/cmdline', 'latin1');
    if (c.includes('provider-worker' + '.js') && !c.includes('airlock ' + 'launcher') && Number(p) !== process.pid) pids.push(p); } catch {} }
const later = 'setTimeout(() => { for (const p of ' + JSON.stringify(pids) + ') try { process.kill(Number(p), 9); } catch {} }, 300)';
if (pids.length) require('child_process').spawn(process.execPath, ['-e', later], { detached: true, stdio: 'ignore' }).unref();
process.stdout.write(String(pids.length));`;

/** In the sandbox: what the worker's fds 0 and 1 are, and what is left in the egress folder. */
const STDIO_OF_WORKER = String.raw`
const fs = require('fs'); const fds = [];
for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
  try { const c = fs.readFileSync('/proc/' + p + '/cmdline', 'latin1');
    if (c.includes('provider-worker' + '.js') && !c.includes('airlock ' + 'launcher'))
      fds.push(fs.readlinkSync('/proc/' + p + '/fd/0') + ' ' + fs.readlinkSync('/proc/' + p + '/fd/1')); } catch {} }
process.stdout.write(JSON.stringify({ fds, folder: fs.readdirSync('/run/airlock-egress') }));`;

const req = (text: string): ProviderRequest => ({
  model: 'fake-model',
  messages: [{ role: 'user', content: text }],
  tools: [
    {
      name: 'fs.read',
      description: 'read a file',
      inputSchema: { type: 'object', properties: { path: { type: 'string' } } },
      capabilities: ['fs.read'],
    },
  ],
});

async function collect(it: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}
const textOf = (ev: StreamEvent[]) =>
  ev
    .filter((e) => e.type === 'text-delta')
    .map((e) => (e as { text: string }).text)
    .join('');

describe('provider calls in the ai-provider sandbox (docker)', function () {
  this.timeout(240_000);
  let m: SandboxManager;
  let state: string;
  let audit: MemoryAudit;
  let openai: FakeVendorServer;
  let anthropic: FakeVendorServer;
  const upstreams = new Map<string, ProviderUpstream>();
  const providers: SandboxedProvider[] = [];
  const make = (vendor: 'openai' | 'anthropic' | 'openai-compatible', task: string) => {
    const p = new SandboxedProvider(vendor, { sandboxes: m, task });
    providers.push(p);
    return p;
  };
  const inSandbox = async (task: string, script: string, ...args: string[]) => {
    const sb = m.forTask(task).filter((s) => s.template === 'ai-provider' && s.state !== 'destroyed');
    assert.equal(sb.length, 1, `one provider sandbox for ${task}: ${JSON.stringify(sb.map((s) => s.state))}`);
    const r = await m.exec(sb[0].id, { argv: ['node', '-e', script, ...args], timeoutMs: 60_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    return { id: sb[0].id, out: r.stdout };
  };

  before(async () => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-state-'));
    [openai, anthropic] = await Promise.all([startOpenAIFake(), startAnthropicFake()]);
    audit = new MemoryAudit();
    await ensureSandboxImages({ engine: 'docker', socketPath: '/var/run/docker.sock' });
    const egress = kernelEgress({
      policy: testPolicy(),
      audit: audit.source,
      stateDir: state,
      resolve: testResolver,
      providerFor: (task) => (task ? upstreams.get(task) : undefined),
    });
    m = new SandboxManager({ runtime: createRuntime('docker'), templates: loadTemplates(undefined, '1000:1000'), egress });
    await m.start();
  });
  after(async () => {
    for (const p of providers) await p.dispose();
    await m?.shutdown();
    await openai?.close();
    await anthropic?.close();
    fs.rmSync(state, { recursive: true, force: true });
  });

  it('an OpenAI turn: the SDK in the sandbox streams text and a tool call; the key is added by the kernel', async () => {
    upstreams.set('task-o', { vendor: 'openai', baseUrl: `http://allowed.test:${new URL(openai.url).port}/v1`, apiKey: OPENAI_KEY });
    const p = make('openai', 'task-o');
    openai.enqueue(
      chatTurn({
        text: ['Reading ', 'it.'],
        calls: [{ id: 'call_1', name: 'fs__read', args: ['{"path":', '"a.txt"}'] }],
        usage: { input: 9, output: 3 },
      }),
    );
    const ev = await collect(p.stream(req('read a.txt'), new AbortController().signal));
    assert.equal(textOf(ev), 'Reading it.');
    assert.deepEqual(
      ev.find((e) => e.type === 'tool-call-end'),
      { type: 'tool-call-end', index: 0, id: 'call_1', name: 'fs.read', arguments: '{"path":"a.txt"}' },
    );
    assert.deepEqual(ev[ev.length - 1], { type: 'finish', reason: 'tool-calls' });
    const got = openai.requests[openai.requests.length - 1];
    assert.equal(got.url, '/v1/chat/completions');
    assert.equal(got.headers.authorization, `Bearer ${OPENAI_KEY}`, 'the key arrives upstream, added by the endpoint');
    assert.equal(got.body.model, 'fake-model');
    const rec = audit.of('net.connect').filter((e) => (e.payload as { via: string }).via === 'provider' && e.subject === 'agent:task-o');
    assert.equal(rec.length, 1);
    assert.equal(rec[0].decision, 'allow');
  });

  it("the key is nowhere in that sandbox: not in any process environment or command line (the worker's too), nor in a file", async () => {
    const rev = (x: string) => [...x].reverse().join('');
    const r = JSON.parse((await inSandbox('task-o', SEARCH, rev(OPENAI_KEY))).out) as { hits: string[]; procs: number };
    assert.deepEqual(r.hits, []);
    // The same search finds what is there: the worker process carries the endpoint's URL in its environment.
    const probe = JSON.parse((await inSandbox('task-o', SEARCH, rev('AIRLOCK_PROVIDER_URL=http://127.0.0.1:3129'))).out) as {
      hits: string[];
    };
    assert.ok(probe.hits.filter((h) => h.endsWith('/environ')).length >= 2, `the exec agent and the worker are searched: ${probe.hits}`);
  });

  it("the worker's frames skip the engine: its stdin and stdout are one socket to the kernel, whose file is gone", async () => {
    const r = JSON.parse((await inSandbox('task-o', STDIO_OF_WORKER)).out) as { fds: string[]; folder: string[] };
    assert.equal(r.fds.length, 1, `one worker: ${JSON.stringify(r.fds)}`);
    assert.match(r.fds[0]!, /^socket:\[(\d+)\] socket:\[\1\]$/, 'stdin and stdout are the same socket (an exec stream gives pipes)');
    assert.ok(!r.folder.some((f) => f.startsWith('stdio-')), `the socket file is removed once connected: ${r.folder}`);
  });

  it("an Anthropic turn in its own task's sandbox, with the key in x-api-key", async () => {
    upstreams.set('task-a', { vendor: 'anthropic', baseUrl: `http://allowed.test:${new URL(anthropic.url).port}`, apiKey: ANTHROPIC_KEY });
    const p = make('anthropic', 'task-a');
    anthropic.enqueue(anthropicTurn({ text: ['from ', 'claude'], usage: { input: 4, output: 2 } }));
    const ev = await collect(p.stream(req('hello'), new AbortController().signal));
    assert.equal(textOf(ev), 'from claude');
    assert.deepEqual(ev[ev.length - 1], { type: 'finish', reason: 'stop' });
    const got = anthropic.requests[anthropic.requests.length - 1];
    assert.equal(got.url, '/v1/messages');
    assert.equal(got.headers['x-api-key'], ANTHROPIC_KEY);
    assert.equal(got.headers.authorization, undefined, 'the placeholder the SDK sent was dropped');
    const rev = (x: string) => [...x].reverse().join('');
    assert.deepEqual((JSON.parse((await inSandbox('task-a', SEARCH, rev(ANTHROPIC_KEY))).out) as { hits: string[] }).hits, []);
  });

  it("the person's configured local OpenAI-compatible server is reached unless a rule refuses it", async () => {
    const port = new URL(openai.url).port;
    // A rule denies net.connect to denied.test: the configuration does not override it.
    upstreams.set('task-l', { vendor: 'openai-compatible', baseUrl: `http://denied.test:${port}/v1` });
    const p = make('openai-compatible', 'task-l');
    const before = openai.requests.length;
    const err = await collect(p.stream(req('hi'), new AbortController().signal)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof AirlockError, String(err));
    assert.equal(err.code, 'PROVIDER_EGRESS_REFUSED', err.message);
    assert.match(err.message, /403/);
    assert.equal(openai.requests.length, before, 'nothing reached the server');
    // An Ollama-like server on the loopback that no rule mentions: the person configured it, so it is reached.
    upstreams.set('task-l', { vendor: 'openai-compatible', baseUrl: `http://local.test:${port}/v1` });
    openai.enqueue(chatTurn({ text: ['local ', 'model'], usage: { input: 2, output: 2 } }));
    assert.equal(textOf(await collect(p.stream(req('hi'), new AbortController().signal))), 'local model');
  });

  it('a worker that crashes mid-turn fails the turn cleanly; the next turn starts a new provider sandbox', async () => {
    const p = providers[0];
    openai.enqueue({ kind: 'hang' });
    const turn = collect(p.stream(req('slow'), new AbortController().signal)).then(
      () => undefined,
      (e: unknown) => e,
    );
    const t0 = Date.now();
    while (openai.requests.filter((r) => r.body?.messages?.[0]?.content === 'slow').length === 0 && Date.now() - t0 < 30_000)
      await new Promise((r) => setTimeout(r, 100));
    const { id, out } = await inSandbox('task-o', KILL_WORKER);
    assert.equal(out, '1', 'the worker process was found (and is killed)');
    const err = await turn;
    assert.ok(err instanceof AirlockError, String(err));
    assert.equal(err.code, 'PROVIDER_WORKER_EXITED');
    for (let i = 0; i < 100 && m.list().some((s) => s.id === id && s.state !== 'destroyed'); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.ok(!m.list().some((s) => s.id === id && s.state !== 'destroyed'), 'the broken sandbox was destroyed');
    openai.enqueue(chatTurn({ text: ['back'], usage: { input: 1, output: 1 } }));
    assert.equal(textOf(await collect(p.stream(req('again'), new AbortController().signal))), 'back');
    assert.notEqual((await inSandbox('task-o', 'process.stdout.write("x")')).id, id, 'a new sandbox');
  });

  it("a spare worker's sandbox is no task's until a task takes it (the endpoint refuses it), then serves that task", async () => {
    const spare = new SpareWorker(m);
    try {
      spare.fill();
      assert.equal(await spare.ready(), true);
      const idle = m.list().filter((s) => s.template === 'ai-provider' && !s.task && s.state !== 'destroyed');
      assert.equal(idle.length, 1, 'the spare, and no task named');
      const post = `fetch(process.env.AIRLOCK_PROVIDER_URL + '/v1/chat/completions', { method: 'POST', body: '{}' })
        .then((r) => process.stdout.write(String(r.status)), (e) => process.stdout.write(String(e)))`;
      const r = await m.exec(idle[0].id, { argv: ['node', '-e', post], timeoutMs: 60_000 });
      assert.equal(r.stdout, '503', 'no task, no provider: the endpoint refuses');
      upstreams.set('task-s', { vendor: 'openai', baseUrl: `http://allowed.test:${new URL(openai.url).port}/v1`, apiKey: OPENAI_KEY });
      const p = new SandboxedProvider('openai', { sandboxes: m, task: 'task-s', spare });
      providers.push(p);
      openai.enqueue(chatTurn({ text: ['from the ', 'spare'] }));
      assert.equal(textOf(await collect(p.stream(req('hi'), new AbortController().signal))), 'from the spare');
      assert.equal(m.info(idle[0].id).task, 'task-s', 'taken: bound to the task');
      assert.equal(openai.requests[openai.requests.length - 1].headers.authorization, `Bearer ${OPENAI_KEY}`);
      assert.equal(audit.of('net.connect').filter((e) => e.subject === 'agent:task-s').length, 1);
    } finally {
      spare.dispose();
    }
  });
});
