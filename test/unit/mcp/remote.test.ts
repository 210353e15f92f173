// A remote MCP server's transport (kernel/src/mcp/remote.ts) against real SDK servers over HTTPS on loopback (a CA made
// at test time): streamable HTTP and the older SSE, the bearer token substituted in the kernel from the server's secret,
// a wrong token and an untrusted certificate refused with clear errors. The sandbox's tunnel is faked by a TCP
// connection (the Docker test, test/integration/mcp/remote-auth.test.ts, runs the real one); the bytes that cross it
// are kept to show the token never passes in clear.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AirlockError } from '../../../protocol/src/errors';
import { McpServerConfig } from '../../../protocol/src/methods/mcp';
import { remoteRecord, remoteTransport } from '../../../kernel/src/mcp/remote';
import { startAuthServer, type AuthServer, type TestPki } from './auth-server';
import { connectRemote } from './fake-tunnel';

const TOKEN = 'tok_9f3c1e7a5b2d4c6e8a0b';

describe('remote MCP servers: https, headers from secrets, streamable HTTP and SSE', function () {
  this.timeout(30_000);
  let pki: TestPki;
  let srv: AuthServer;
  let port: number;
  let stop: () => void;

  before(async () => {
    ({ pki, srv, port, stop } = await startAuthServer(TOKEN));
  });
  after(() => stop());

  const config = (over: Partial<McpServerConfig> & { path?: string } = {}): McpServerConfig =>
    McpServerConfig.parse({
      name: 'remote',
      url: `https://mcp.test:${port}${over.path ?? '/mcp'}`,
      headers: { Authorization: 'Bearer ${TOKEN}' },
      env: { TOKEN },
      ca: pki.caPem,
      ...Object.fromEntries(Object.entries(over).filter(([k]) => k !== 'path')),
    });

  const connect = (c: McpServerConfig, crossed: Buffer[] = []) => connectRemote(c, port, crossed);

  for (const [kind, over] of [
    ['streamable HTTP', {}],
    ['SSE', { transport: 'sse' as const, path: '/sse' }],
  ] as const) {
    it(`${kind}: lists and calls through the tunnel; the token reaches the server and never crosses in clear`, async () => {
      srv.seen.length = 0;
      const crossed: Buffer[] = [];
      const { client, err } = await connect(config(over), crossed);
      assert.equal(err, undefined, String(err));
      assert.deepEqual(
        (await client.listTools()).tools.map((t) => t.name),
        ['echo'],
      );
      const r = (await client.callTool({ name: 'echo', arguments: { text: 'over tls' } })) as CallToolResult;
      assert.deepEqual(r.content, [{ type: 'text', text: 'echo: over tls' }]);
      await client.close();
      assert.ok(srv.seen.length >= 3, `requests seen: ${srv.seen.length}`);
      assert.ok(
        srv.seen.every((a) => a === `Bearer ${TOKEN}`),
        `every request carried the token: ${JSON.stringify(srv.seen.map((a) => a?.slice(0, 9)))}`,
      );
      const bytes = Buffer.concat(crossed);
      assert.ok(bytes.length > 1000, 'bytes crossed the tunnel');
      assert.equal(bytes.indexOf(TOKEN), -1, 'the token is not in clear in the tunnel');
      assert.equal(bytes.indexOf('echo: over tls'), -1, 'nor is the content: TLS is end to end');
    });

    it(`${kind}: a wrong token is refused with MCP_REMOTE_UNAUTHORIZED naming the header and the secret`, async () => {
      const { client, refused, err } = await connect(config({ ...over, env: { TOKEN: 'wrong-token-value' } }));
      assert.ok(err, 'the connection failed');
      assert.equal(refused[0]?.code, 'MCP_REMOTE_UNAUTHORIZED');
      assert.match(refused[0].message, /answered HTTP 401 \(unauthorized\): it refused the headers sent \(Authorization\)/);
      assert.match(refused[0].hint ?? '', /check TOKEN .*mcp:remote:TOKEN/);
      assert.ok(!JSON.stringify([refused[0], String(err)]).includes('wrong-token-value'), 'the value is not in the error');
      await client.close();
    });
  }

  it('without headers a 401 says the server needs a token; an unknown CA is MCP_REMOTE_TLS with the hint', async () => {
    const none = await connect(config({ headers: undefined, env: {} }));
    assert.equal(none.refused[0]?.code, 'MCP_REMOTE_UNAUTHORIZED');
    assert.match(none.refused[0].message, /it sent none/);
    assert.match(none.refused[0].hint ?? '', /--header "Authorization: Bearer \$\{TOKEN\}" --secret TOKEN/);
    await none.client.close();
    const untrusted = await connect(config({ ca: undefined }));
    assert.equal(untrusted.refused[0]?.code, 'MCP_REMOTE_TLS', String(untrusted.err));
    assert.match(untrusted.refused[0].message, /certificate of mcp\.test:\d+ is not trusted/);
    assert.match(untrusted.refused[0].hint ?? '', /NODE_EXTRA_CA_CERTS/);
    await untrusted.client.close();
  });

  it('a header whose secret is not set fails before any connection (MCP_SECRET_MISSING); bad CAs are refused', () => {
    assert.throws(
      () => remoteTransport(config({ env: {} }), { exec: () => assert.fail('no tunnel'), refused: () => undefined }),
      (e: AirlockError) =>
        e.code === 'MCP_SECRET_MISSING' && /header Authorization needs TOKEN, which is not set/.test(e.message) && !!e.hint,
    );
    assert.throws(
      () => remoteTransport(config({ ca: 'not a certificate' }), { exec: () => assert.fail('no tunnel'), refused: () => undefined }),
      (e: AirlockError) => e.code === 'MCP_CA_INVALID',
    );
  });

  it('SSE: the stream ending closes the connection with why, instead of EventSource retrying for ever', async () => {
    const { client, refused, err } = await connect(config({ transport: 'sse', path: '/sse' }));
    assert.equal(err, undefined, String(err));
    const closed = new Promise<void>((r) => (client.onclose = r));
    const before = srv.seen.length;
    srv.server.closeAllConnections(); // the server restarts: its SSE session is gone
    await Promise.race([closed, new Promise((_, j) => setTimeout(() => j(new Error('not closed within 6 s')), 6000))]);
    assert.equal(refused.at(-1)?.code, 'MCP_REMOTE_STREAM_ENDED');
    assert.match(refused.at(-1)!.message, /its SSE stream from mcp\.test:\d+ ended/);
    await new Promise((r) => setTimeout(r, 3500));
    assert.equal(srv.seen.length, before, 'no further request reached the server');
  });

  it('an IP literal URL is checked against the IP in the certificate', async () => {
    const { client, err } = await connect(config({ url: `https://127.0.0.1:${port}/mcp` }));
    assert.equal(err, undefined, String(err));
    await client.close();
  });

  it('no transport given: an SSE server is reached by falling back from streamable HTTP (404 to initialize)', async () => {
    const { client, err } = await connect(config({ path: '/sse' }));
    assert.equal(err, undefined, String(err));
    const r = (await client.callTool({ name: 'echo', arguments: { text: 'fell back' } })) as CallToolResult;
    assert.deepEqual(r.content, [{ type: 'text', text: 'echo: fell back' }]);
    await client.close();
    const none = await connect(config({ path: '/nothing' }));
    assert.equal(none.refused.at(-1)?.code, 'MCP_REMOTE_TRANSPORT');
    assert.match(none.refused.at(-1)!.message, /neither streamable HTTP \(.*404.*\) nor SSE \(.*404.*\) answered at/);
    await none.client.close();
    const wrong = await connect(config({ path: '/sse', env: { TOKEN: 'not-it' } }));
    assert.equal(wrong.refused.at(-1)?.code, 'MCP_REMOTE_UNAUTHORIZED', 'the fallback refused says so, not "neither"');
    await wrong.client.close();
  });

  it('an SSE server given as streamable HTTP only (transport http) says to use --sse (MCP_REMOTE_TRANSPORT)', async () => {
    const { client, refused, err } = await connect(config({ path: '/sse', transport: 'http' }));
    assert.ok(err);
    assert.equal(refused[0]?.code, 'MCP_REMOTE_TRANSPORT');
    assert.match(refused[0].message, /\/sse does not take streamable HTTP \(HTTP 404 to its first POST\)/);
    assert.match(refused[0].hint ?? '', /--sse/);
    await client.close();
  });

  it('the kernel refuses headers over plain http even when the schema was not applied', () => {
    const c = { ...config(), url: `http://mcp.test:${port}/mcp` };
    assert.throws(
      () => remoteTransport(c, { exec: () => assert.fail('no tunnel'), refused: () => undefined }),
      (e: AirlockError) => e.code === 'MCP_HEADER_INVALID' && /https only/.test(e.message),
    );
  });

  it('the start record keeps header names with digests, never the token', () => {
    const rec = remoteRecord(config());
    assert.match((rec.headers as Record<string, string>).Authorization, /^sha256:[0-9a-f]{64}$/);
    assert.equal(rec.protocol, 'auto');
    assert.ok(!JSON.stringify(rec).includes(TOKEN));
  });

  it('the schema takes headers for https remote servers only', () => {
    assert.throws(() => config({ url: `http://mcp.test:${port}/mcp` }), /headers are sent over https only/);
    assert.throws(
      () => McpServerConfig.parse({ name: 'x', command: 'node', headers: { A: 'b' } }),
      /transport, headers and ca are for remote servers/,
    );
    assert.throws(() => config({ headers: { Host: 'evil' } }), /a header the MCP transport sets itself/);
  });
});
