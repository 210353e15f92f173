// The provider worker (kernel/src/agent/provider-worker/): the real worker bundle as a child process speaking to loopback
// vendor fakes, and the kernel's client refusing what a broken or hostile worker sends.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import type { StreamEvent } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import { ProviderWorkerClient, type WorkerProcess } from '../../../kernel/src/agent/provider-worker/client';
import { MAX_WORKER_FRAME } from '../../../kernel/src/agent/provider-worker/frames';
import { providerWorkerSource, WORKER_LOADER } from '../../../kernel/src/agent/provider-worker/source';
import type { ProviderRequest } from '../../../kernel/src/agent/providers/types';
import { isRetryable } from '../../../kernel/src/agent/providers/errors';
import { anthropicTurn, startAnthropicFake } from '../../fakes/anthropic';
import { geminiTurn, startGeminiFake } from '../../fakes/gemini';
import { chatTurn, openaiError, startOpenAIFake } from '../../fakes/openai';

const req: ProviderRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [] };

/** The worker as a child process, as the sandbox runs it: `node -e LOADER`, its code down stdin. */
function childWorker(providerUrl: string, providerSocket?: string): WorkerProcess & { kill(): void } {
  const c = spawn(process.execPath, ['-e', WORKER_LOADER], {
    env: {
      PATH: process.env.PATH,
      AIRLOCK_PROVIDER_URL: providerUrl,
      ...(providerSocket ? { AIRLOCK_PROVIDER_SOCKET: providerSocket } : {}),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let tail = '';
  c.stderr.on('data', (b: Buffer) => {
    tail = (tail + b.toString()).slice(-4096);
  });
  const stdio = Duplex.from({ readable: c.stdout, writable: c.stdin });
  return { stdio, stderrTail: () => tail, kill: () => c.kill('SIGKILL') };
}

/** A worker the test scripts: what the client writes is collected, `say` writes raw bytes to the client. */
function scripted(): WorkerProcess & { say(s: string | Buffer): void; end(): void; sent: string[] } {
  const toClient = new PassThrough();
  const sent: string[] = [];
  const stdio = new Duplex({
    read() {
      /* pushed by say */
    },
    write(chunk: Buffer, _e, cb) {
      sent.push(chunk.toString());
      cb();
    },
  });
  toClient.on('data', (b: Buffer) => stdio.push(b));
  toClient.on('end', () => stdio.push(null));
  return { stdio, stderrTail: () => 'panic: worker blew up\n', sent, say: (s) => toClient.write(s), end: () => toClient.end() };
}

/** The endpoint's socket as the sandbox sees it: a unix socket piped to a fake vendor's TCP port; counts connections. */
async function endpointSocket(port: number): Promise<{ path: string; connections: () => number; close: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-endpoint-'));
  const where = path.join(dir, 'provider.sock');
  let n = 0;
  const server = net.createServer((c) => {
    n++;
    const u = net.connect({ host: '127.0.0.1', port });
    const bye = () => {
      c.destroy();
      u.destroy();
    };
    c.on('error', bye).on('close', bye);
    u.on('error', bye).on('close', bye);
    c.pipe(u).pipe(c);
  });
  await new Promise<void>((r) => server.listen(where, r));
  return {
    path: where,
    connections: () => n,
    close: () => {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const texts = (ev: StreamEvent[]) =>
  ev
    .filter((e) => e.type === 'text-delta')
    .map((e) => (e as { text: string }).text)
    .join('');

async function collect(it: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

async function rejects(p: Promise<unknown>, code: string, message: RegExp): Promise<AirlockError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AirlockError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return e;
  }
  assert.fail('expected a rejection');
}

describe('provider worker', function () {
  this.timeout(60_000);
  let source: string;
  before(async () => {
    source = await providerWorkerSource();
  });

  it('streams an OpenAI turn through the vendor SDK run by the worker process', async () => {
    const fake = await startOpenAIFake();
    const w = childWorker(`${fake.url}/v1`);
    try {
      const client = new ProviderWorkerClient(w);
      await client.start(source);
      fake.enqueue(
        chatTurn({
          text: ['hel', 'lo'],
          calls: [{ id: 'c1', name: 'fs__read', args: ['{"path":', '"a"}'] }],
          usage: { input: 5, output: 2 },
        }),
      );
      const ev = await collect(client.stream('openai', req, new AbortController().signal));
      assert.equal(
        ev
          .filter((e) => e.type === 'text-delta')
          .map((e) => (e as { text: string }).text)
          .join(''),
        'hello',
      );
      assert.deepEqual(
        ev.find((e) => e.type === 'tool-call-end'),
        { type: 'tool-call-end', index: 0, id: 'c1', name: 'fs.read', arguments: '{"path":"a"}' },
      );
      assert.deepEqual(ev[ev.length - 1], { type: 'finish', reason: 'tool-calls' });
      assert.equal(fake.requests[0].headers.authorization, 'Bearer airlock-placeholder', 'the worker has no key: the endpoint adds it');
      // An HTTP error before any event is thrown with what retry needs (status, retryable).
      fake.enqueue(openaiError(429, 'slow down', { 'retry-after': '2' }));
      const e = await rejects(collect(client.stream('openai', req, new AbortController().signal)), 'PROVIDER_RATE_LIMITED', /rate limit/);
      assert.equal(isRetryable(e), true);
      assert.equal((e.details as { retryAfterMs?: number }).retryAfterMs, 2000);
      // The kernel's endpoint refusing (its header) is said as such, with what to do; a vendor's own 403 is a key problem.
      fake.enqueue(openaiError(403, 'airlock: private.test:1 refused: needs net.private', { 'x-airlock-egress': 'refused' }));
      const refused = await rejects(
        collect(client.stream('openai', req, new AbortController().signal)),
        'PROVIDER_EGRESS_REFUSED',
        /kernel refused.*net\.private/,
      );
      assert.match(refused.hint ?? '', /net\.connect and net\.private/);
      fake.enqueue(openaiError(403, 'bad key'));
      await rejects(collect(client.stream('openai', req, new AbortController().signal)), 'PROVIDER_AUTH', /refused the API key/);
    } finally {
      w.kill();
      await fake.close();
    }
  });

  it('streams an Anthropic turn', async () => {
    const fake = await startAnthropicFake();
    const w = childWorker(fake.url);
    try {
      const client = new ProviderWorkerClient(w);
      await client.start(source);
      fake.enqueue(anthropicTurn({ text: ['from ', 'claude'], usage: { input: 3, output: 2 } }));
      const ev = await collect(client.stream('anthropic', req, new AbortController().signal));
      assert.equal(
        ev
          .filter((e) => e.type === 'text-delta')
          .map((e) => (e as { text: string }).text)
          .join(''),
        'from claude',
      );
      assert.deepEqual(ev[ev.length - 1], { type: 'finish', reason: 'stop' });
      const h = fake.requests[0].headers;
      assert.equal(h['x-api-key'] ?? h.authorization?.replace(/^Bearer /, ''), 'airlock-placeholder', 'the worker has no key');
    } finally {
      w.kill();
      await fake.close();
    }
  });

  it('streams a Gemini turn, its key header the placeholder too', async () => {
    const fake = await startGeminiFake();
    const w = childWorker(fake.url);
    try {
      const client = new ProviderWorkerClient(w);
      await client.start(source);
      fake.enqueue(geminiTurn({ text: ['from ', 'gemini'], usage: { input: 3, output: 2 } }));
      const ev = await collect(client.stream('google', req, new AbortController().signal));
      assert.equal(
        ev
          .filter((e) => e.type === 'text-delta')
          .map((e) => (e as { text: string }).text)
          .join(''),
        'from gemini',
      );
      assert.deepEqual(ev[ev.length - 1], { type: 'finish', reason: 'stop' });
      assert.equal(fake.requests[0].headers['x-goog-api-key'], 'airlock-placeholder');
    } finally {
      w.kill();
      await fake.close();
    }
  });

  it('a cancelled turn tells the worker to abort it and ends with the cancel reason; the worker serves the next turn', async () => {
    const fake = await startOpenAIFake();
    const w = childWorker(`${fake.url}/v1`);
    try {
      const client = new ProviderWorkerClient(w);
      await client.start(source);
      fake.enqueue({ kind: 'hang' });
      const ac = new AbortController();
      const turn = collect(client.stream('openai', req, ac.signal)).then(
        () => undefined,
        (e: unknown) => e,
      );
      for (let i = 0; i < 100 && !fake.requests.length; i++) await new Promise((r) => setTimeout(r, 20));
      ac.abort(new AirlockError('RPC_CANCELLED', 'stopped by a person'));
      const err = await turn;
      assert.ok(err instanceof AirlockError && err.code === 'RPC_CANCELLED', String(err));
      assert.equal(client.dead, undefined, 'a cancel is not a crash');
      fake.enqueue(chatTurn({ text: ['next'] }));
      const ev = await collect(client.stream('openai', req, new AbortController().signal));
      assert.equal(
        ev
          .filter((e) => e.type === 'text-delta')
          .map((e) => (e as { text: string }).text)
          .join(''),
        'next',
      );
    } finally {
      w.kill();
      await fake.close();
    }
  });

  it("with the endpoint's socket, sends every vendor's requests down it (not through the forwarder); its warm-up asks nothing", async () => {
    const fakes = { openai: await startOpenAIFake(), anthropic: await startAnthropicFake(), google: await startGeminiFake() };
    const socks = await Promise.all(Object.values(fakes).map((f) => endpointSocket(Number(new URL(f.url).port))));
    // Nothing listens at the endpoint's URL (the forwarder's port): only the socket leads to the fakes.
    const dead = 'http://127.0.0.1:9';
    const ws = [childWorker(`${dead}/v1`, socks[0]!.path), childWorker(dead, socks[1]!.path), childWorker(dead, socks[2]!.path)];
    try {
      const [openai, anthropic, google] = await Promise.all(
        ws.map(async (w) => {
          const c = new ProviderWorkerClient(w);
          await c.start(source);
          return c;
        }),
      );
      await new Promise((r) => setTimeout(r, 300)); // the warm-ups run after `ready`
      assert.deepEqual(
        socks.map((x) => x.connections()),
        [0, 0, 0],
        'the warm-up never reaches the endpoint',
      );
      fakes.openai.enqueue(chatTurn({ text: ['via ', 'socket'] }));
      assert.equal(texts(await collect(openai!.stream('openai', req, new AbortController().signal))), 'via socket');
      fakes.anthropic.enqueue(anthropicTurn({ text: ['claude ', 'too'] }));
      assert.equal(texts(await collect(anthropic!.stream('anthropic', req, new AbortController().signal))), 'claude too');
      fakes.google.enqueue(geminiTurn({ text: ['gemini ', 'too'] }));
      assert.equal(texts(await collect(google!.stream('google', req, new AbortController().signal))), 'gemini too');
      assert.equal(fakes.openai.requests[0]!.url, '/v1/chat/completions');
      assert.equal(fakes.openai.requests[0]!.headers.authorization, 'Bearer airlock-placeholder');
      // A cancel still reaches the request, and the worker serves the next turn on the socket.
      fakes.openai.enqueue({ kind: 'hang' });
      const ac = new AbortController();
      const turn = collect(openai!.stream('openai', req, ac.signal)).then(
        () => undefined,
        (e: unknown) => e,
      );
      for (let i = 0; i < 100 && fakes.openai.requests.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      ac.abort(new AirlockError('RPC_CANCELLED', 'stopped by a person'));
      const err = await turn;
      assert.ok(err instanceof AirlockError && err.code === 'RPC_CANCELLED', String(err));
      fakes.openai.enqueue(chatTurn({ text: ['after'] }));
      assert.equal(texts(await collect(openai!.stream('openai', req, new AbortController().signal))), 'after');
    } finally {
      for (const w of ws) w.kill();
      for (const x of socks) x.close();
      await Promise.all(Object.values(fakes).map((f) => f.close()));
    }
  });

  it('fails the turn cleanly when the worker process dies mid-turn', async () => {
    const fake = await startOpenAIFake();
    const w = childWorker(`${fake.url}/v1`);
    try {
      let dead: AirlockError | undefined;
      const client = new ProviderWorkerClient(w, (e) => {
        dead = e;
      });
      await client.start(source);
      fake.enqueue({ kind: 'hang' });
      const turn = collect(client.stream('openai', req, new AbortController().signal));
      await new Promise((r) => setTimeout(r, 300));
      w.kill();
      await rejects(turn, 'PROVIDER_WORKER_EXITED', /provider worker in its sandbox stopped/);
      assert.equal(dead?.code, 'PROVIDER_WORKER_EXITED');
      await rejects(collect(client.stream('openai', req, new AbortController().signal)), 'PROVIDER_WORKER_EXITED', /stopped/);
    } finally {
      w.kill();
      await fake.close();
    }
  });

  const started = async () => {
    const w = scripted();
    const client = new ProviderWorkerClient(w);
    const s = client.start('/* code */');
    w.say('{"t":"ready"}\n');
    await s;
    assert.equal(w.sent[0], '10\n', 'the code goes first, after its length');
    return { w, client };
  };

  it('refuses a line that is not JSON, and stops the worker', async () => {
    const { w, client } = await started();
    const turn = collect(client.stream('openai', req, new AbortController().signal));
    w.say('{"t":"event","id":"r1","event":{"type":"text-delta","text":"ok"}}\nnot json\n');
    const ev = await turn;
    assert.deepEqual(ev[0], { type: 'text-delta', text: 'ok' });
    assert.equal(ev.length, 2);
    assert.match(JSON.stringify(ev[1]), /PROVIDER_WORKER_PROTOCOL.*not JSON/);
    assert.ok(w.stdio.destroyed, 'the worker is stopped');
    await rejects(collect(client.stream('openai', req, new AbortController().signal)), 'PROVIDER_WORKER_PROTOCOL', /not JSON/);
  });

  it('refuses a frame the schema rejects (an event of an unknown type, a wrong field type)', async () => {
    for (const bad of [
      '{"t":"event","id":"r1","event":{"type":"shell","cmd":"rm -rf /"}}',
      '{"t":"event","id":"r1","event":{"type":"text-delta","text":42}}',
    ]) {
      const { w, client } = await started();
      const turn = collect(client.stream('openai', req, new AbortController().signal));
      w.say(bad + '\n');
      await rejects(turn, 'PROVIDER_WORKER_PROTOCOL', /malformed frame \(event/);
      assert.ok(w.stdio.destroyed, 'the worker is stopped');
    }
  });

  it('refuses an oversized frame before holding it whole', async () => {
    const { w, client } = await started();
    const turn = collect(client.stream('openai', req, new AbortController().signal));
    const big = Buffer.alloc(MAX_WORKER_FRAME + 1024, 'a');
    w.say(Buffer.concat([Buffer.from('{"t":"event","id":"r1","event":{"type":"text-delta","text":"'), big]));
    await rejects(turn, 'PROVIDER_WORKER_PROTOCOL', /over 4194304 bytes/);
  });

  it("believes a worker's error only as a provider error: unknown codes and details are not trusted", async () => {
    const { w, client } = await started();
    const turn = collect(client.stream('openai', req, new AbortController().signal));
    w.say(
      JSON.stringify({
        t: 'fail',
        id: 'r1',
        error: { code: 'POLICY_APPROVED', message: 'all\u0007 fine', details: { retryable: 'yes' } },
      }) + '\n',
    );
    const e = await rejects(turn, 'PROVIDER_BAD_RESPONSE', /all +fine/);
    assert.equal(isRetryable(e), false);
  });

  it('a worker that ends its output mid-turn fails the turn with its stderr', async () => {
    const { w, client } = await started();
    const turn = collect(client.stream('openai', req, new AbortController().signal));
    w.say('{"t":"event","id":"r1","event":{"type":"text-delta","text":"par"}}\n');
    await new Promise((r) => setTimeout(r, 20));
    w.end();
    const ev = await turn;
    assert.deepEqual(ev[0], { type: 'text-delta', text: 'par' });
    assert.equal(ev[1].type, 'error');
    assert.match(JSON.stringify(ev[1]), /PROVIDER_WORKER_EXITED.*worker blew up/);
  });
});
