// A remote streamable-HTTP MCP server (made with the official SDK's server classes, on the host's loopback) reached
// only through the egress proxy: the kernel's MCP machinery (McpServers) with a real SandboxManager on Docker and the
// kernel's egress proxy. The server's relay sandbox opens a CONNECT tunnel judged as `plugin:mcp:<server>`: the
// server with a rule is listed and called (the connections recorded as net.connect), one without is refused with why.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import type { McpServers } from '../../../kernel/src/mcp/servers';
import { remoteRig } from './remote-fixture';
import { MemoryAudit } from '../../unit/egress/fixture';
import { httpMcpServer } from '../../unit/mcp/http-server';

/** Only the server `remote` may reach mcp.test (a loopback name here, so net.private too); nothing else may. */
const POLICY = `version: 1
rules:
  - { id: remote-mcp, effect: allow, subjects: ["plugin:mcp:remote"], actions: [net.connect, net.private], resources: ["mcp.test:*"] }
`;

describe('remote streamable-HTTP MCP server through the egress proxy (docker)', function () {
  this.timeout(300_000);
  let m: SandboxManager;
  let state: string;
  let audit: MemoryAudit;
  let server: http.Server;
  let port: number;
  let servers: McpServers;

  before(async () => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-state-'));
    server = httpMcpServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    audit = new MemoryAudit();
    ({ m, servers } = await remoteRig({ policy: POLICY, stateDir: state, audit: audit.source }));
  });

  after(async () => {
    servers?.dispose();
    await m?.shutdown();
    server?.closeAllConnections();
    server?.close();
    fs.rmSync(state, { recursive: true, force: true });
  });

  it('lists and calls a remote server through its own allowlist; another server is refused with the reason', async () => {
    const url = `http://mcp.test:${port}/mcp`;
    const states = await servers.configure([
      { name: 'remote', url, args: [], env: {}, callTimeoutMs: 20_000 },
      { name: 'other', url, args: [], env: {}, callTimeoutMs: 20_000 },
    ]);
    const remote = states.find((s) => s.name === 'remote')!;
    assert.equal(remote.state, 'ready', remote.reason);
    assert.deepEqual(remote.tools, ['mcp.remote.echo', 'mcp.remote.big', 'mcp.remote.exit']);
    const other = states.find((s) => s.name === 'other')!;
    assert.equal(other.state, 'failed');
    assert.match(other.reason ?? '', /mcp\.test:\d+ was not reached: .*403/);
    const spec = servers.tools().find((t) => t.name === 'mcp.remote.echo')!;
    assert.ok(spec, 'the remote tool is offered to tasks');
    // The ToolSpec a task's router runs (its policy and audit are the pipeline's, tested with the stdio servers).
    const r = await spec.run({ text: 'from afar' }, { signal: new AbortController().signal } as Parameters<typeof spec.run>[1]);
    assert.deepEqual(r.content, 'echo: from afar');
    const connects = audit.of('net.connect');
    assert.ok(
      connects.some((e) => e.subject === 'plugin:mcp:remote' && e.decision === 'allow' && e.resource === `mcp.test:${port}`),
      JSON.stringify(connects),
    );
    assert.ok(
      connects.some((e) => e.subject === 'plugin:mcp:other' && e.decision === 'deny'),
      JSON.stringify(connects),
    );
  });
});
