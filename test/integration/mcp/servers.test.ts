// MCP servers as plugins, through the real kernel and Docker: the reference "everything" server installed from npm
// (on the host, --ignore-scripts) runs in its own mcp-server sandbox; a replayed model discovers its tools, calls one
// the policy allows and one it denies (reported to the model, audited with the arguments' digest); a hand-written
// server hangs on one call and exits on another: the task carries on and `mcp/list` shows the server failed.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TaskEvent, ToolResult } from '../../../protocol/src/agent';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import { KernelSupervisor } from '../../../bootstrap';
import { assets } from '../../../protocol/src/node/assets';
import { contentHash } from '../../../core/src/mcp/content-hash';
import { argumentsDigest } from '../../../kernel/src/mcp/tools';
import { call, fin, removeKernel, runTask, sampleWorkspace, text, writeReplay } from '../agent/helpers';

const EVERYTHING = '@modelcontextprotocol/server-everything';
/** A stdio MCP server by hand (newline-delimited JSON-RPC): `ok` answers, `hang` never does, `crash` exits. */
const FAKE = String.raw`
const out = (m) => process.stdout.write(JSON.stringify(m) + '\n');
let buf = '';
process.stdin.on('data', (c) => { buf += c; let i; while ((i = buf.indexOf('\n')) >= 0) { const l = buf.slice(0, i); buf = buf.slice(i + 1); if (l.trim()) on(JSON.parse(l)); } });
const tool = (name) => ({ name, description: name + ' tool', inputSchema: { type: 'object', properties: {} } });
function on(m) {
  if (m.method === 'initialize') out({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'fake', version: '1.0.0' } } });
  else if (m.method === 'tools/list') out({ jsonrpc: '2.0', id: m.id, result: { tools: [tool('ok'), tool('hang'), tool('crash')] } });
  else if (m.method === 'tools/call' && m.params.name === 'ok') out({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'fine' }] } });
  else if (m.method === 'tools/call' && m.params.name === 'crash') { process.stderr.write('fake server: crashing on purpose\n'); process.exit(3); }
  else if (m.method === 'tools/call') { /* hang: never answer */ }
  else if (m.id !== undefined) out({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'no such method' } });
}
`;

/** The shipped policies, with MCP tools judged per tool instead of asked: echo allowed, get-env denied. */
function policies(base: string): string {
  const dir = path.join(base, 'policies');
  fs.cpSync(assets().policiesDir, dir, { recursive: true });
  const file = path.join(dir, 'explore.yaml');
  const shipped = fs.readFileSync(file, 'utf8');
  const cut = shipped.indexOf('\n  - id: mcp-tools-ask');
  assert.ok(cut > 0, 'the shipped explore policy asks about MCP tools');
  fs.writeFileSync(
    file,
    shipped.slice(0, cut) +
      `
  - id: mcp-env-deny
    effect: deny
    subjects: ["agent:*"]
    actions: ["tool.call"]
    resources: ["mcp:everything/get-env"]
    reason: the server's environment holds its secrets
`,
  );
  return dir;
}

describe('MCP servers in sandboxes (npm server-everything, replay task, Docker)', function () {
  this.timeout(600_000);
  let sup: KernelSupervisor;
  let client: RpcClient;
  let base: string;
  let workspace: string;
  const secret = `mcp-secret-${Date.now()}-S3cr3t`;

  before(async () => {
    ({ base, workspace } = sampleWorkspace());
    const everything = path.join(base, 'pkg-everything');
    execFileSync('npm', ['install', '--prefix', everything, '--ignore-scripts', '--no-audit', '--no-fund', EVERYTHING], {
      stdio: 'pipe',
      timeout: 300_000,
    });
    const fake = path.join(base, 'pkg-fake');
    fs.mkdirSync(fake);
    fs.writeFileSync(path.join(fake, 'server.js'), FAKE);
    for (const d of [base, everything, fake]) fs.chmodSync(d, 0o755);
    const bin = JSON.parse(fs.readFileSync(path.join(everything, 'node_modules', EVERYTHING, 'package.json'), 'utf8')).bin[
      'mcp-server-everything'
    ];
    sup = await KernelSupervisor.start({
      workspace,
      stateRoot: path.join(base, 'state'),
      runtime: 'docker',
      maxRestarts: 2,
      policiesDir: policies(base),
    });
    client = await sup.ready();
    const { servers } = await client.request(
      'mcp/configure',
      {
        servers: [
          {
            name: 'everything',
            command: 'node',
            args: [`/mcp/pkg/node_modules/${EVERYTHING}/${bin}`, 'stdio'],
            env: { EVERYTHING_TOKEN: secret },
            package: { hostDir: everything, sha256: contentHash(everything) },
          },
          {
            name: 'fake',
            command: 'node',
            args: ['/mcp/pkg/server.js'],
            package: { hostDir: fake, sha256: contentHash(fake) },
            callTimeoutMs: 3000,
          },
        ],
      },
      { timeoutMs: 300_000 },
    );
    for (const s of servers) assert.equal(s.state, 'ready', `${s.name}: ${s.reason}`);
  });

  after(async () => {
    if (sup) await removeKernel(sup);
    fs.rmSync(base, { recursive: true, force: true });
  });

  const results = (events: TaskEvent[]) => events.flatMap((e) => (e.type === 'tool-result' ? [e.result] : []));
  const byId = (events: TaskEvent[], id: string) => results(events).find((r: ToolResult) => r.toolCallId === id)!;

  it('lists each server ready with its tools, namespaced by server', async () => {
    const { servers } = await client.request('mcp/list', {});
    const every = servers.find((s) => s.name === 'everything')!;
    assert.ok(every.tools.includes('mcp.everything.echo'), every.tools.join(', '));
    assert.ok(every.tools.includes('mcp.everything.get-env'), every.tools.join(', '));
    assert.deepEqual(servers.find((s) => s.name === 'fake')!.tools, ['mcp.fake.ok', 'mcp.fake.hang', 'mcp.fake.crash']);
    assert.match(every.sandbox ?? '', /^sbx-/);
  });

  it("runs an allowed call in the sandbox, reports a denied one to the model, and audits both with the arguments' digest", async () => {
    writeReplay(workspace, 'mcp-calls', [
      [text('Echo, then the environment.'), ...call(0, 'e1', 'mcp.everything.echo', { message: 'hello from the task' }), fin('tool-calls')],
      [...call(0, 'e2', 'mcp.everything.get-env', {}), fin('tool-calls')],
      [text('Done.'), fin('stop')],
    ]);
    const run = await runTask(client, { prompt: 'use the everything server', replay: '.replays/mcp-calls.jsonl', mode: 'explore' });
    const end = await run.finished;
    assert.equal(end.status, 'completed', end.message);
    const echo = byId(run.events, 'e1');
    assert.equal(echo.ok, true, echo.content);
    assert.match(echo.content, /hello from the task/);
    const env = byId(run.events, 'e2');
    assert.equal(env.ok, false);
    assert.equal(env.error?.code, 'POLICY_DENIED');
    assert.match(env.content, /environment holds its secrets/);
    assert.ok(!JSON.stringify(run.events).includes(secret), "the server's secret never reaches the model");
    const entries = (
      await client.request('audit/query', { session: run.taskId, action: 'tool.decision', order: 'asc', limit: 20, payloads: true })
    ).entries;
    const e1 = entries.find((e) => (e.payload as { callId?: string }).callId === 'e1')!;
    const e2 = entries.find((e) => (e.payload as { callId?: string }).callId === 'e2')!;
    assert.equal(e1.decision, 'allow');
    assert.equal((e1.payload as { argumentsSha256?: string }).argumentsSha256, argumentsDigest({ message: 'hello from the task' }));
    assert.equal((e1.payload as { server?: string }).server, 'everything');
    assert.equal(e2.decision, 'deny');
    assert.ok(e2.ruleIds.includes('mcp-env-deny'), e2.ruleIds.join(','));
    assert.equal((e2.payload as { argumentsSha256?: string }).argumentsSha256, argumentsDigest({}));
  });

  it('a server that hangs fails its call with a clear error, is marked failed, and the task continues', async () => {
    writeReplay(workspace, 'mcp-hang', [
      [...call(0, 'h1', 'mcp.fake.ok', {}), fin('tool-calls')],
      [...call(0, 'h2', 'mcp.fake.hang', {}), fin('tool-calls')],
      [...call(0, 'h3', 'mcp.fake.ok', {}), ...call(1, 'h4', 'fs.read', { path: 'package.json' }), fin('tool-calls')],
      [text('Carried on.'), fin('stop')],
    ]);
    const run = await runTask(client, { prompt: 'use the fake server', replay: '.replays/mcp-hang.jsonl', mode: 'explore' });
    const end = await run.finished;
    assert.equal(end.status, 'completed', end.message);
    assert.equal(byId(run.events, 'h1').content, 'fine');
    const hung = byId(run.events, 'h2');
    assert.equal(hung.error?.code, 'MCP_SERVER_HUNG', hung.content);
    assert.match(hung.content, /did not answer hang within 3000 ms/);
    const after = byId(run.events, 'h3');
    assert.equal(after.error?.code, 'MCP_SERVER_FAILED', after.content);
    assert.equal(byId(run.events, 'h4').ok, true, 'native tools keep working');
    const fake = (await client.request('mcp/list', {})).servers.find((s) => s.name === 'fake')!;
    assert.equal(fake.state, 'failed');
    assert.match(fake.reason ?? '', /did not answer a call of hang/);
    assert.deepEqual(fake.tools, []);
    const failed = (await client.request('audit/query', { action: 'mcp.server.failed', resource: 'mcp:fake', limit: 5, payloads: true }))
      .entries;
    assert.equal(failed.length, 1);
  });

  it('a server that crashes is marked failed with its exit and stderr; reconfiguring starts it again', async () => {
    const cfg = (await client.request('mcp/list', {})).servers.map((s) => s.name);
    assert.ok(cfg.includes('fake'));
    const fakeDir = path.join(base, 'pkg-fake');
    const again = await client.request(
      'mcp/configure',
      {
        servers: [
          {
            name: 'fake',
            command: 'node',
            args: ['/mcp/pkg/server.js'],
            package: { hostDir: fakeDir, sha256: contentHash(fakeDir) },
            callTimeoutMs: 3000,
          },
        ],
      },
      { timeoutMs: 300_000 },
    );
    assert.deepEqual(
      again.servers.map((s) => [s.name, s.state]),
      [['fake', 'ready']],
      'the failed server was restarted, everything removed',
    );
    writeReplay(workspace, 'mcp-crash', [
      [...call(0, 'c1', 'mcp.fake.crash', {}), fin('tool-calls')],
      [...call(0, 'c2', 'fs.read', { path: 'package.json' }), fin('tool-calls')],
      [text('Carried on.'), fin('stop')],
    ]);
    const run = await runTask(client, { prompt: 'crash it', replay: '.replays/mcp-crash.jsonl', mode: 'explore' });
    const end = await run.finished;
    assert.equal(end.status, 'completed', end.message);
    const crashed = byId(run.events, 'c1');
    assert.equal(crashed.error?.code, 'MCP_SERVER_FAILED', crashed.content);
    assert.equal(byId(run.events, 'c2').ok, true);
    const fake = (await client.request('mcp/list', {})).servers.find((s) => s.name === 'fake')!;
    assert.equal(fake.state, 'failed');
    assert.match(fake.reason ?? '', /exited with code 3.*crashing on purpose/);
  });

  it('refuses to start a server whose package changed since it was pinned', async () => {
    const fakeDir = path.join(base, 'pkg-fake');
    const pinned = contentHash(fakeDir);
    fs.appendFileSync(path.join(fakeDir, 'server.js'), '\n// changed\n');
    const r = await client.request(
      'mcp/configure',
      { servers: [{ name: 'fake', command: 'node', args: ['/mcp/pkg/server.js'], package: { hostDir: fakeDir, sha256: pinned } }] },
      { timeoutMs: 300_000 },
    );
    assert.equal(r.servers[0].state, 'failed');
    assert.match(r.servers[0].reason ?? '', /changed since it was added/);
  });
});
