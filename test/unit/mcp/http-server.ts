// A real streamable-HTTP MCP server made with the official SDK's own classes (McpServer + StreamableHTTPServerTransport
// on node:http, stateless): `echo` answers, `big` answers with N bytes, `exit` ends the process. Run as a program it
// listens on $PORT (127.0.0.1); the Docker test bundles it into a package folder for a sandbox.
import * as http from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

function mcp(): McpServer {
  const s = new McpServer({ name: 'http-fixture', version: '1.0.0' });
  s.registerTool('echo', { description: 'Echoes its text', inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text: `echo: ${text}` }],
  }));
  s.registerTool('big', { description: 'Answers with n bytes', inputSchema: { n: z.number().int() } }, async ({ n }) => ({
    content: [{ type: 'text', text: 'x'.repeat(n) }],
  }));
  s.registerTool('exit', { description: 'Ends the server process', inputSchema: {} }, async () => {
    process.exit(4);
  });
  return s;
}

/** Stateless: a new server and transport per request, as the SDK's stateless example does. */
export function httpMcpServer(): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
        if (req.url !== '/mcp') {
          res.writeHead(404).end();
          return;
        }
        if (req.method !== 'POST') {
          res.writeHead(405, { allow: 'POST' }).end();
          return;
        }
        const server = mcp();
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        res.on('close', () => {
          void transport.close();
          void server.close();
        });
        await server.connect(transport);
        await transport.handleRequest(req, res, body);
      })();
    });
  });
}

if (require.main === module) {
  const port = Number(process.env.PORT ?? 3000);
  httpMcpServer().listen(port, '127.0.0.1', () => process.stdout.write(`listening on ${port}\n`));
}
