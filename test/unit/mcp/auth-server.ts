// Remote MCP servers as a user's would be: the official SDK's McpServer over HTTPS (a certificate from a CA made at test
// time with openssl, for the name mcp.test), streamable HTTP at /mcp and the older HTTP+SSE transport at /sse
// (+ /messages), both refusing any request without `Authorization: Bearer <token>` or `?key=<token>` (401); /leak
// answers 500 with the credentials in its body. Every Authorization seen is kept.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as https from 'node:https';
import * as path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface TestPki {
  caPem: string;
  caFile: string;
  key: string;
  cert: string;
}

/** A CA and a server certificate for `mcp.test` and 127.0.0.1 signed by it, in `dir`. */
export function makePki(dir: string): TestPki {
  const f = (n: string) => path.join(dir, n);
  const ssl = (...a: string[]) => execFileSync('openssl', a, { stdio: 'pipe' });
  const subj = ['-newkey', 'rsa:2048', '-nodes', '-subj'];
  ssl('req', '-x509', ...subj, '/CN=Airlock Test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2');
  ssl('req', ...subj, '/CN=mcp.test', '-keyout', f('srv.key'), '-out', f('srv.csr'));
  fs.writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:mcp.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  const sign = ['-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('ext.cnf')];
  ssl('x509', '-req', '-in', f('srv.csr'), ...sign, '-out', f('srv.pem'));
  const read = (n: string) => fs.readFileSync(f(n), 'utf8');
  return { caPem: read('ca.pem'), caFile: f('ca.pem'), key: read('srv.key'), cert: read('srv.pem') };
}

function mcp(): McpServer {
  const s = new McpServer({ name: 'auth-fixture', version: '1.0.0' });
  s.registerTool('echo', { description: 'Echoes its text', inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text: `echo: ${text}` }],
  }));
  return s;
}

export interface AuthServer {
  server: https.Server;
  /** Every Authorization header received, in order (undefined when absent). */
  seen: (string | undefined)[];
}

export function authMcpServer(pki: TestPki, token: string): AuthServer {
  const seen: (string | undefined)[] = [];
  const sse = new Map<string, SSEServerTransport>();
  const server = https.createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    seen.push(req.headers.authorization);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const u = new URL(req.url ?? '/', 'https://mcp.test');
        // As some hosted servers do, the token may come in the query (`?key=`) instead of the header.
        if (req.headers.authorization !== `Bearer ${token}` && u.searchParams.get('key') !== token) {
          res.writeHead(401, { 'www-authenticate': 'Bearer realm="test"', 'content-type': 'text/plain' }).end('unauthorized');
          return;
        }
        const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
        if (u.pathname === '/leak') {
          // A careless server's error page that repeats the request's credentials.
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`failed for ${req.headers.authorization}`);
          return;
        }
        if (u.pathname === '/mcp' && req.method === 'POST') {
          const s = mcp();
          const t = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
          res.on('close', () => {
            void t.close();
            void s.close();
          });
          await s.connect(t);
          await t.handleRequest(req, res, body);
        } else if (u.pathname === '/sse' && req.method === 'GET') {
          const t = new SSEServerTransport('/messages', res);
          sse.set(t.sessionId, t);
          res.on('close', () => sse.delete(t.sessionId));
          await mcp().connect(t);
        } else if (u.pathname === '/messages' && req.method === 'POST') {
          const t = sse.get(u.searchParams.get('sessionId') ?? '');
          if (!t) res.writeHead(404).end();
          else await t.handlePostMessage(req, res, body);
        } else res.writeHead(u.pathname === '/mcp' ? 405 : 404).end();
      })();
    });
  });
  return { server, seen };
}

/** A suite's fixture: a CA and certificate in a temp folder, the server listening on loopback; `stop` undoes both. */
export async function startAuthServer(token: string): Promise<{ pki: TestPki; srv: AuthServer; port: number; stop: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-pki-'));
  const pki = makePki(dir);
  const srv = authMcpServer(pki, token);
  await new Promise<void>((r) => srv.server.listen(0, '127.0.0.1', r));
  const port = (srv.server.address() as net.AddressInfo).port;
  const stop = () => {
    srv.server.closeAllConnections();
    srv.server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { pki, srv, port, stop };
}
