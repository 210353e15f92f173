// A real ai-provider sandbox (network none, egress: provider): its only way out is the kernel's provider endpoint,
// which adds the key; the key reaches the fake vendor server on the host's loopback and never the sandbox.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRuntime } from '../../../kernel/src/runtime/detect';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { loadTemplates } from '../../../core/src/templates';
import { kernelEgress } from '../../../kernel/src/egress/attach';
import type { ProviderUpstream } from '../../../kernel/src/egress/provider-upstream';
import { ensureSandboxImages } from '../../../templates/builder/sandbox-images';
import { chatTurn, startOpenAIFake } from '../../fakes/openai';
import type { FakeVendorServer } from '../../fakes/server';
import { helloServer, MemoryAudit, testPolicy, testResolver } from '../../unit/egress/fixture';

const KEY = 'sk-airlock-sandbox-test-9f8e7d6c5b4a39281706';

/** Runs in the sandbox: one streamed chat request to the provider endpoint with a dummy key, as the provider SDK sends it. */
const CALL = String.raw`
fetch(process.env.AIRLOCK_PROVIDER_URL + '/chat/completions', { method: 'POST',
  headers: { 'content-type': 'application/json', authorization: 'Bearer airlock-placeholder' },
  body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }) })
  .then(async (r) => process.stdout.write(r.status + ' ' + await r.text()), (e) => process.stdout.write('error ' + (e.cause?.code ?? e.message)));`;

/** Runs in the sandbox: looks for a string (given reversed, so its own command line does not hold it) in every process's
 * environment and command line and in every readable file. */
const SEARCH = String.raw`
const fs = require('fs'); const path = require('path'); const needle = [...process.argv[1]].reverse().join(''); const hits = []; let files = 0;
for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) for (const f of ['environ', 'cmdline']) {
  try { if (fs.readFileSync('/proc/' + p + '/' + f, 'latin1').includes(needle)) hits.push('/proc/' + p + '/' + f); } catch {} }
const walk = (d) => { let es; try { es = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
  for (const e of es) { const f = path.join(d, e.name);
    if (e.isDirectory()) { if (!['/proc', '/sys', '/dev'].includes(f)) walk(f); }
    else if (e.isFile()) { try { const st = fs.statSync(f); if (st.size < 4 << 20) { files++; if (fs.readFileSync(f, 'latin1').includes(needle)) hits.push(f); } } catch {} } } };
walk('/');
process.stdout.write(JSON.stringify({ hits, files, env: Object.keys(process.env).filter((k) => /proxy/i.test(k)) }));`;

/** Runs in the sandbox: every other way out it might try. */
const ESCAPE = String.raw`
const net = require('net'); const res = {}; let left = 3;
const done = (k, v) => { res[k] = v; if (--left === 0) { process.stdout.write(JSON.stringify(res)); process.exit(0); } };
const tcp = (k, host, port) => { const s = net.connect({ host, port }); s.setTimeout(3000, () => { s.destroy(); done(k, 'timeout'); });
  s.on('connect', () => { s.destroy(); done(k, 'connected'); }); s.on('error', (e) => done(k, e.code)); };
tcp('proxyPort', '127.0.0.1', 3128); tcp('outside', '1.1.1.1', 443);
fetch('http://allowed.test:' + process.argv[1] + '/x').then((r) => done('direct', 'status ' + r.status), (e) => done('direct', e.cause?.code ?? e.message));`;

describe('the ai-provider sandbox behind the provider endpoint (docker)', function () {
  this.timeout(180_000);
  let m: SandboxManager;
  let state: string;
  let audit: MemoryAudit;
  let fake: FakeVendorServer;
  let hello: Awaited<ReturnType<typeof helloServer>>;
  let port: number;
  let upstream: ProviderUpstream | undefined;
  let id: string;

  before(async () => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-state-'));
    fake = await startOpenAIFake();
    hello = await helloServer();
    port = Number(new URL(fake.url).port);
    audit = new MemoryAudit();
    await ensureSandboxImages({ engine: 'docker', socketPath: '/var/run/docker.sock' });
    const egress = kernelEgress({
      policy: testPolicy(),
      audit: audit.source,
      stateDir: state,
      resolve: testResolver,
      providerFor: (task) => (task === 'task-p' ? upstream : undefined),
    });
    m = new SandboxManager({ runtime: createRuntime('docker'), templates: loadTemplates(undefined, '1000:1000'), egress });
    await m.start();
    id = (await m.create({ template: 'ai-provider', task: 'task-p' })).id;
  });
  after(async () => {
    await m?.shutdown();
    await fake?.close();
    hello?.server.close();
    fs.rmSync(state, { recursive: true, force: true });
  });

  const node = async (script: string, ...args: string[]) => {
    const r = await m.exec(id, { argv: ['node', '-e', script, ...args], timeoutMs: 60_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    return r.stdout;
  };

  it('ships with no network and no proxy: egress provider only', () => {
    const t = m.template('ai-provider');
    assert.equal(t.network, 'none');
    assert.equal(t.egress, 'provider');
  });

  it('streams a chat turn from the fake vendor on the host, with the key the kernel added', async () => {
    upstream = { vendor: 'openai', baseUrl: `http://allowed.test:${port}/v1`, apiKey: KEY };
    fake.enqueue(chatTurn({ text: ['from ', 'the host'] }));
    const out = await node(CALL);
    assert.match(out, /^200 /);
    assert.match(out, /from /);
    assert.match(out, /\[DONE\]/);
    const got = fake.requests[fake.requests.length - 1];
    assert.equal(got.url, '/v1/chat/completions');
    assert.equal(got.headers.authorization, `Bearer ${KEY}`, 'the key arrives upstream');
    const rec = audit.of('net.connect').filter((e) => (e.payload as { via: string }).via === 'provider');
    assert.equal(rec.length, 1);
    assert.equal(rec[0].decision, 'allow');
    assert.equal(rec[0].subject, 'agent:task-p');
  });

  it('never holds the key: not in any process environment or command line, nor in any file it can read', async () => {
    const rev = (x: string) => [...x].reverse().join('');
    const r = JSON.parse(await node(SEARCH, rev(KEY))) as { hits: string[]; files: number; env: string[] };
    assert.deepEqual(r.hits, []);
    assert.ok(r.files > 5, `the walk read the sandbox's files (${r.files}; the node image is small)`);
    assert.deepEqual(r.env, [], 'no proxy variables: there is no general way out');
    // The same search finds what is there: the endpoint's socket path is in the exec agent's environment.
    const probe = JSON.parse(await node(SEARCH, rev('/run/airlock-egress/provider.sock'))) as { hits: string[] };
    assert.ok(
      probe.hits.some((h) => h.endsWith('/environ')),
      'the search sees process environments',
    );
  });

  it('has no other way out: no proxy on 3128, no route, no resolver; a metadata address as the base URL is refused', async () => {
    const r = JSON.parse(await node(ESCAPE, String(hello.port))) as Record<string, string>;
    assert.equal(r.proxyPort, 'ECONNREFUSED');
    assert.match(r.outside, /ENETUNREACH|EHOSTUNREACH/);
    assert.match(r.direct, /EAI_AGAIN|ENOTFOUND/);
    // Even as the configured base URL, a name resolving to the metadata address is never "the person's local server".
    upstream = { vendor: 'openai-compatible', baseUrl: `http://metadata.test:${port}/v1` };
    const before = fake.requests.length;
    assert.match(await node(CALL), /^403 .*169\.254\.169\.254.*net\.private/);
    assert.equal(fake.requests.length, before);
    upstream = undefined;
    assert.match(await node(CALL), /^503 /);
  });
});
