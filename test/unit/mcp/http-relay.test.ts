// The kernel's fetch over a relayed stream (kernel/src/mcp/http-relay.ts) driving the official SDK's
// StreamableHTTPClientTransport against a real streamable-HTTP MCP server made with the SDK's server classes. The
// stream handed to the fetch is a plain Duplex (as an engine exec's stdio is), not a socket.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { socketDuplex } from './fake-tunnel';
import { type Duplex, PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type * as http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { adopt, firstLine, relayFetch } from '../../../kernel/src/mcp/http-relay';
import { httpMcpServer } from './http-server';

/** A Duplex over a new TCP connection, the way an exec relay's stdio carries one. */
function relayed(port: number, opened: { n: number }): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const d = socketDuplex(sock);
    sock.on('connect', () => {
      opened.n++;
      resolve(d);
    });
    sock.on('error', reject);
  });
}

describe('MCP streamable HTTP over a relayed stream', () => {
  let server: http.Server;
  let port: number;
  before(async () => {
    server = httpMcpServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const connect = async (max?: number) => {
    const opened = { n: 0 };
    const client = new Client({ name: 'test', version: '0.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { fetch: relayFetch(() => relayed(port, opened), max) }),
    );
    return { client, opened };
  };

  it('lists and calls tools; every request is its own relayed connection', async () => {
    const { client, opened } = await connect();
    assert.deepEqual(
      (await client.listTools()).tools.map((t) => t.name),
      ['echo', 'big', 'exit'],
    );
    const r = (await client.callTool({ name: 'echo', arguments: { text: 'héllo' } })) as CallToolResult;
    assert.deepEqual(r.content, [{ type: 'text', text: 'echo: héllo' }]);
    assert.ok(opened.n >= 3, `initialize, tools/list, tools/call each opened one (${opened.n})`);
    await client.close();
  });

  it('a response over the cap fails the call instead of being read whole', async () => {
    const { client } = await connect(64 * 1024);
    const ok = (await client.callTool({ name: 'big', arguments: { n: 1000 } })) as CallToolResult;
    assert.equal((ok.content[0] as { text: string }).text.length, 1000);
    await assert.rejects(client.callTool({ name: 'big', arguments: { n: 200_000 } }), /exceeded 65536 bytes|terminated|aborted/i);
    await client.close();
  });
});

describe("the remote tunnel's first line", () => {
  it('reads OK, and the bytes after it reach the next reader through adopt (nothing lost while paused)', async () => {
    const src = new PassThrough();
    src.write('OK\nHTTP/1.1 200 OK\r\n');
    assert.equal(await firstLine(src), 'OK');
    src.end('rest');
    const d = adopt(src);
    let got = '';
    for await (const c of d) got += String(c);
    assert.equal(got, 'HTTP/1.1 200 OK\r\nrest');
  });

  it('a tunnel that closes first, or whose first line is over-long, is no OK', async () => {
    const closed = new PassThrough();
    closed.end();
    assert.equal(await firstLine(closed), null);
    const long = new PassThrough();
    long.write('x'.repeat(100));
    assert.equal(await firstLine(long), null);
  });
});
