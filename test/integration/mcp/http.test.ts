// A streamable-HTTP MCP server (made with the official SDK's server classes, test/unit/mcp/http-server.ts) through the
// real kernel and Docker: it runs in its own mcp-server sandbox (no network), listening on the sandbox's loopback; the
// kernel reaches it through a relay exec per connection with the SDK's StreamableHTTPClientTransport. A replayed task
// calls a tool (allowed, audited with the arguments' digest); a call that ends the server fails, the server is marked
// failed and the task goes on.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import type { TaskEvent, ToolResult } from '../../../protocol/src/agent';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import { assets } from '../../../protocol/src/node/assets';
import { KernelSupervisor } from '../../../bootstrap';
import { contentHash } from '../../../core/src/mcp/content-hash';
import { argumentsDigest } from '../../../kernel/src/mcp/tools';
import { call, fin, removeKernel, runTask, sampleWorkspace, text, writeReplay } from '../agent/helpers';
import { REPO } from '../../unit/plugins/example';

/** The shipped policies, with this server's tools allowed instead of asked (no one answers in a replay). */
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
  - id: mcp-web-allow
    effect: allow
    subjects: ["agent:*"]
    actions: ["tool.call"]
    resources: ["mcp:web/*"]
    reason: the test's own server
`,
  );
  return dir;
}

describe('streamable-HTTP MCP server in a sandbox (SDK server, relay, replay task, Docker)', function () {
  this.timeout(600_000);
  let sup: KernelSupervisor;
  let client: RpcClient;
  let base: string;
  let workspace: string;
  let pkg: string;

  before(async () => {
    ({ base, workspace } = sampleWorkspace());
    pkg = path.join(base, 'pkg-web');
    await esbuild.build({
      entryPoints: [path.join(REPO, 'test', 'unit', 'mcp', 'http-server.ts')],
      outfile: path.join(pkg, 'server.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'silent',
      nodePaths: [path.join(REPO, 'node_modules')],
    });
    for (const d of [base, pkg]) fs.chmodSync(d, 0o755);
    fs.chmodSync(path.join(pkg, 'server.js'), 0o644);
    sup = await KernelSupervisor.start({
      workspace,
      stateRoot: path.join(base, 'state'),
      runtime: 'docker',
      maxRestarts: 2,
      policiesDir: policies(base),
    });
    client = await sup.ready();
  });

  after(async () => {
    if (sup) await removeKernel(sup);
    fs.rmSync(base, { recursive: true, force: true });
  });

  const byId = (events: TaskEvent[], id: string): ToolResult =>
    events.flatMap((e) => (e.type === 'tool-result' ? [e.result] : [])).find((r) => r.toolCallId === id)!;

  it('starts it in its sandbox, lists its tools over HTTP, and a task calls them; a server that exits is marked failed', async () => {
    const { servers } = await client.request(
      'mcp/configure',
      {
        servers: [
          {
            name: 'web',
            command: 'node',
            args: ['/mcp/pkg/server.js'],
            env: { PORT: '3000' },
            package: { hostDir: pkg, sha256: contentHash(pkg) },
            http: { port: 3000, path: '/mcp' },
            callTimeoutMs: 10_000,
          },
        ],
      },
      { timeoutMs: 300_000 },
    );
    assert.equal(servers[0].state, 'ready', servers[0].reason);
    assert.deepEqual(servers[0].tools, ['mcp.web.echo', 'mcp.web.big', 'mcp.web.exit']);
    const sb = (await client.request('sandbox/list', {})).sandboxes.find((s) => s.id === servers[0].sandbox)!;
    assert.equal(sb.template, 'mcp-server');
    const start = (await client.request('audit/query', { resource: 'mcp:web', action: 'mcp.server.start', limit: 5, payloads: true }))
      .entries;
    assert.deepEqual((start[0].payload as { transport?: unknown }).transport, { type: 'http', port: 3000, path: '/mcp' });

    writeReplay(workspace, 'mcp-http', [
      [text('Echo.'), ...call(0, 'w1', 'mcp.web.echo', { text: 'over http' }), fin('tool-calls')],
      [...call(0, 'w2', 'mcp.web.exit', {}), fin('tool-calls')],
      [...call(0, 'w3', 'mcp.web.echo', { text: 'again' }), ...call(1, 'w4', 'fs.read', { path: 'package.json' }), fin('tool-calls')],
      [text('Carried on.'), fin('stop')],
    ]);
    const run = await runTask(client, { prompt: 'use the web server', replay: '.replays/mcp-http.jsonl', mode: 'explore' });
    const end = await run.finished;
    assert.equal(end.status, 'completed', end.message);
    const echo = byId(run.events, 'w1');
    assert.equal(echo.ok, true, echo.content);
    assert.equal(echo.content, 'echo: over http');
    assert.equal(byId(run.events, 'w2').ok, false);
    const after = byId(run.events, 'w3');
    assert.equal(after.error?.code, 'MCP_SERVER_FAILED', after.content);
    assert.equal(byId(run.events, 'w4').ok, true, 'the task went on with its other tools');
    const d = (
      await client.request('audit/query', { session: run.taskId, action: 'tool.decision', order: 'asc', limit: 20, payloads: true })
    ).entries;
    const w1 = d.find((e) => (e.payload as { callId?: string }).callId === 'w1')!;
    assert.equal(w1.decision, 'allow');
    assert.equal((w1.payload as { argumentsSha256?: string }).argumentsSha256, argumentsDigest({ text: 'over http' }));
    const now = (await client.request('mcp/list', {})).servers[0];
    assert.equal(now.state, 'failed');
    assert.match(now.reason ?? '', /exited with code 4/);
  });
});
