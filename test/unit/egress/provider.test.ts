// The provider endpoint on this machine: a fake vendor server on loopback, reached through the endpoint's unix socket
// (as an ai-provider sandbox reaches it), the key added by the endpoint, every request judged and audited.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EgressClient } from '../../../kernel/src/egress/decide';
import { ProviderEndpoints } from '../../../kernel/src/egress/provider';
import { type ProviderUpstream, upstreamPath } from '../../../kernel/src/egress/provider-upstream';
import { OpenAIChatProvider } from '../../../kernel/src/agent/providers/openai-chat';
import { chatTurn, startOpenAIFake } from '../../fakes/openai';
import type { FakeVendorServer } from '../../fakes/server';
import { PolicyEngine } from '../../../core/src/policy/engine';
import { parsePolicyText } from '../../../core/src/policy/loader';
import { MemoryAudit, testPolicy, testResolver } from './fixture';

const KEY = 'sk-airlock-test-0123456789abcdefghij';

describe('provider endpoint', function () {
  let dir: string;
  let audit: MemoryAudit;
  let eps: ProviderEndpoints;
  let fake: FakeVendorServer;
  let port: number;
  let upstream: ProviderUpstream | undefined;
  let forwarder: net.Server;
  let url: string;
  const client: EgressClient = { sandbox: 'sbx-prov', task: 'task-p', session: 's-1', subject: { kind: 'agent', id: 'task-p', tags: [] } };

  before(async () => {
    fake = await startOpenAIFake();
    port = Number(new URL(fake.url).port);
  });
  after(() => fake.close());
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-provider-'));
    audit = new MemoryAudit();
    upstream = { vendor: 'openai', baseUrl: `http://allowed.test:${port}/v1`, apiKey: KEY };
    eps = new ProviderEndpoints({
      policy: testPolicy(),
      audit: audit.source,
      dir,
      resolve: testResolver,
      upstreamFor: (t) => (t === 'task-p' ? upstream : undefined),
    });
    const ep = await eps.listen(client);
    // What the sandbox's forwarder does: loopback TCP piped to the endpoint's socket.
    forwarder = net.createServer((c) => {
      const u = net.connect(ep.socketPath);
      c.pipe(u);
      u.pipe(c);
      c.on('error', () => u.destroy());
      u.on('error', () => c.destroy());
    });
    await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(forwarder.address() as net.AddressInfo).port}`;
    fake.requests.length = 0;
  });
  afterEach(async () => {
    forwarder.close();
    await eps.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const post = (p: string, headers: Record<string, string> = {}) =>
    fetch(`${url}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'm', messages: [] }),
    });

  it('streams a real SDK turn through the endpoint: the key is added upstream, the dummy key the SDK sent is dropped', async () => {
    fake.enqueue(chatTurn({ text: ['hel', 'lo'] }));
    const sdk = new OpenAIChatProvider({ apiKey: 'airlock-placeholder', baseURL: url });
    const events = [];
    for await (const e of sdk.stream(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], tools: [] },
      new AbortController().signal,
    ))
      events.push(e);
    assert.deepEqual(
      events.filter((e) => e.type === 'text-delta').map((e) => (e as { text: string }).text),
      ['hel', 'lo'],
    );
    assert.equal(fake.requests.length, 1);
    assert.equal(fake.requests[0].url, '/v1/chat/completions');
    assert.equal(fake.requests[0].headers.authorization, `Bearer ${KEY}`);
    assert.equal(fake.requests[0].headers.host, `allowed.test:${port}`);
    const rec = audit.of('net.connect');
    assert.equal(rec.length, 1);
    assert.equal(rec[0].decision, 'allow');
    assert.equal(rec[0].resource, `allowed.test:${port}`);
    assert.equal(rec[0].subject, 'agent:task-p');
    assert.ok(rec[0].ruleIds!.includes('allowed-private'), 'loopback is reached on the net.private grant');
    assert.equal((rec[0].payload as { via: string }).via, 'provider');
    assert.ok(!JSON.stringify(audit.entries).includes(KEY), 'the key is in no audit entry');
  });

  it("adds each vendor's own key header and drops every key header and ?key= the sandbox sent", async () => {
    const cases: Array<[ProviderUpstream['vendor'], string, string]> = [
      ['anthropic', 'x-api-key', KEY],
      ['google', 'x-goog-api-key', KEY],
      ['openai-responses', 'authorization', `Bearer ${KEY}`],
    ];
    for (const [vendor, header, value] of cases) {
      upstream = { vendor, baseUrl: `http://allowed.test:${port}/v1`, apiKey: KEY };
      // An upstream cannot pass its answer off as the kernel's refusal: that header is dropped on the way down.
      fake.enqueue({ kind: 'json', status: 200, body: { ok: vendor }, headers: { 'x-airlock-egress': 'refused' } });
      const r = await post('/chat/completions?key=stolen&alt=sse', {
        authorization: 'Bearer mine',
        'x-api-key': 'mine',
        'x-goog-api-key': 'mine',
        cookie: 'c=1',
      });
      assert.equal(r.status, 200, vendor);
      assert.deepEqual(await r.json(), { ok: vendor });
      assert.equal(r.headers.get('x-airlock-egress'), null, vendor);
      const got = fake.requests[fake.requests.length - 1];
      assert.equal(got.url, '/v1/chat/completions?alt=sse', vendor);
      assert.equal(got.headers[header], value, vendor);
      for (const h of ['authorization', 'x-api-key', 'x-goog-api-key'])
        if (h !== header) assert.equal(got.headers[h], undefined, `${vendor} ${h}`);
      assert.equal(got.headers.cookie, undefined);
    }
  });

  it("reaches the person's configured local server unless a rule refuses it; special addresses and unconfigured tasks never", async () => {
    // No rule mentions local.test, and private.test is allowed net.connect without net.private: both are the person's
    // own configured server on the loopback (Ollama-like), so both are reached, each recorded with the reason.
    for (const host of ['local.test', 'private.test']) {
      upstream = { vendor: 'openai-compatible', baseUrl: `http://${host}:${port}/v1` };
      fake.enqueue({ kind: 'json', status: 200, body: { ok: host } });
      const r = await post('/chat/completions');
      assert.equal(r.status, 200, host);
      assert.deepEqual(await r.json(), { ok: host });
    }
    const allowed = audit.of('net.connect');
    assert.deepEqual(
      allowed.map((e) => e.decision),
      ['allow', 'allow'],
    );
    assert.match(JSON.stringify(allowed[0].payload), /configured local model server/);
    // A rule denying net.connect to it wins over the configuration.
    upstream = { vendor: 'openai', baseUrl: `http://denied.test:${port}/v1`, apiKey: KEY };
    let r = await post('/chat/completions');
    assert.equal(r.status, 403);
    assert.equal(r.headers.get('x-airlock-egress'), 'refused', "the refusal says it is the kernel's");
    // A name resolving to the metadata address is never "local": only a net.private rule would let it through.
    upstream = { vendor: 'openai-compatible', baseUrl: `http://metadata.test:${port}/v1` };
    r = await post('/chat/completions');
    assert.equal(r.status, 403);
    assert.match(await r.text(), /169\.254\.169\.254.*net\.private/);
    upstream = undefined;
    r = await post('/chat/completions');
    assert.equal(r.status, 503);
    assert.equal(fake.requests.length, 2, 'nothing refused reached the server');
    assert.deepEqual(
      audit.of('net.connect').map((e) => e.decision),
      ['allow', 'allow', 'deny', 'deny'],
    );
  });

  it('strict\'s "no network" for agents does not cut off the person\'s local model; a rule for kernel:provider does', async () => {
    const yaml = (extra: string) =>
      `version: 1\nrules:\n` + '  - { id: no-network, effect: deny, subjects: ["agent:*", "plugin:*"], actions: [net.connect] }\n' + extra;
    const policy = (text: string) => {
      const e = new PolicyEngine({ mode: 'strict' });
      e.loadParsed(() => [parsePolicyText(text, 'strict-like.yaml')]);
      return e;
    };
    const reach = async (text: string) => {
      const local = new ProviderEndpoints({
        policy: policy(text),
        audit: audit.source,
        dir: path.join(dir, `s${String(Math.random()).slice(2)}`),
        resolve: testResolver,
        upstreamFor: () => ({ vendor: 'openai-compatible', baseUrl: `http://local.test:${port}/v1` }),
      });
      const ep = await local.listen({ ...client, sandbox: `sbx-${String(Math.random()).slice(2)}` });
      const status = await new Promise<string>((resolve) => {
        const s = net.connect(ep.socketPath, () =>
          s.write('POST /chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}'),
        );
        let b = '';
        s.on('data', (d) => {
          b += d;
        });
        s.on('close', () => resolve(b.split(' ')[1] ?? ''));
      });
      await local.dispose();
      return status;
    };
    fake.enqueue({ kind: 'json', status: 200, body: { ok: true } });
    assert.equal(await reach(yaml('')), '200');
    assert.equal(
      await reach(
        yaml(
          '  - { id: no-local-models, effect: deny, subjects: ["kernel:provider"], actions: [net.connect], resources: ["local.test:*"] }\n',
        ),
      ),
      '403',
    );
    assert.equal(fake.requests.length, 1);
  });

  it('refuses other methods, dot segments and encoded separators before anything is judged', async () => {
    for (const p of ['/../admin', '/v1/%2e%2e/x', '/a%2fb', '//evil.test/x', '/a\\b']) {
      const r = await new Promise<number>((resolve) => {
        const s = net.connect(Number(new URL(url).port), '127.0.0.1', () =>
          s.write(`POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`),
        );
        s.on('data', (d) => {
          resolve(Number(d.toString().split(' ')[1]));
          s.destroy();
        });
      });
      assert.equal(r, 400, p);
    }
    assert.equal((await fetch(`${url}/x`, { method: 'DELETE' })).status, 405);
    assert.equal(fake.requests.length, 0);
    assert.equal(audit.of('net.connect').length, 0);
  });

  it('never sends a key unencrypted to a public address, and an audit log that fails refuses the request', async () => {
    const eps2 = new ProviderEndpoints({
      policy: testPolicy(),
      audit: audit.source,
      dir: path.join(dir, 'b'),
      resolve: async () => ['8.8.8.8'],
      upstreamFor: () => ({ vendor: 'openai', baseUrl: 'http://public.test/v1', apiKey: KEY }),
    });
    const ep2 = await eps2.listen({ ...client, sandbox: 'sbx-pub' });
    const res = await new Promise<string>((resolve) => {
      const s = net.connect(ep2.socketPath, () => s.write('POST /chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}'));
      let b = '';
      s.on('data', (d) => {
        b += d;
      });
      s.on('close', () => resolve(b));
    });
    assert.match(res, /^HTTP\/1\.1 403[\s\S]*never sent unencrypted/);
    await eps2.dispose();
    audit.fail = true;
    const r = await post('/chat/completions');
    assert.equal(r.status, 503);
    assert.equal(fake.requests.length, 0);
  });

  it('a request is judged, recorded and sent as the task its sandbox served when it came, or not at all', async () => {
    // A conversation's kept worker passes from one turn to the next (agent/provider-worker/kept.ts): here the sandbox
    // changes hands while its request is being judged (during name resolution).
    const live: EgressClient = { ...client, sandbox: 'sbx-moving' };
    let task: string | undefined = 'task-p';
    Object.defineProperty(live, 'task', { get: () => task });
    const moving = new ProviderEndpoints({
      policy: testPolicy(),
      audit: audit.source,
      dir,
      resolve: async (host) => {
        task = 'task-next';
        return testResolver(host);
      },
      upstreamFor: (t) => (t === 'task-p' || t === 'task-next' ? upstream : undefined),
    });
    try {
      const ep = await moving.listen(live);
      const status = await new Promise<number>((resolve, reject) => {
        const s = net.connect(ep.socketPath, () =>
          s.end('POST /chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}'),
        );
        let b = '';
        s.on('data', (d) => (b += d.toString()));
        s.on('close', () => resolve(Number(b.split(' ')[1])));
        s.on('error', reject);
      });
      assert.equal(status, 503, 'refused: the sandbox no longer serves the task the request came from');
      assert.equal(fake.requests.length, 0, 'nothing reached the vendor');
      const rec = audit.of('net.connect').at(-1)!;
      assert.equal((rec.payload as { task: string }).task, 'task-p', 'judged and recorded as the task it came from');
      assert.equal(rec.subject, 'agent:task-p');
    } finally {
      await moving.dispose();
    }
  });

  it('maps paths under the base path only', () => {
    const base = new URL('https://api.example.com/v1/');
    assert.equal(upstreamPath(base, '/chat/completions'), '/v1/chat/completions');
    assert.equal(upstreamPath(base, '/models/x:stream?alt=sse&key=k'), '/v1/models/x:stream?alt=sse');
    for (const bad of ['chat', '/a/../b', '/a/./b', '/a%2Fb', '/a%5cb', '//x', '/a b'])
      assert.equal(upstreamPath(base, bad), undefined, bad);
  });
});
