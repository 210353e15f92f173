// A third-party-style MCP server for tests and bench/plugins.ts: the official SDK's stdio Server, bundled with esbuild
// into one file (no install, no network), so the very same code runs in an mcp-server sandbox and directly on the host.
// Tools: read_file (a file under the root given as its last argument), whoami (the host name it runs on).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { contentHash } from '../../../core/src/mcp/content-hash';
import { assets } from '../../../protocol/src/node/assets';

const SOURCE = `
const fs = require('fs'); const os = require('os'); const path = require('path');
const { Server } = require('@modelcontextprotocol/sdk/server/index.js');
const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');
const { CallToolRequestSchema, ListToolsRequestSchema } = require('@modelcontextprotocol/sdk/types.js');
const root = path.resolve(process.argv[process.argv.length - 1]);
const s = new Server({ name: 'read-server', version: '1.0.0' }, { capabilities: { tools: {} } });
const tools = [
  { name: 'read_file', description: 'Reads a file under the root', inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
  { name: 'whoami', description: 'The host name this server runs on', inputSchema: { type: 'object', properties: {} } },
];
s.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
s.setRequestHandler(CallToolRequestSchema, async (r) => {
  if (r.params.name === 'whoami') return { content: [{ type: 'text', text: 'host:' + os.hostname() }] };
  const file = path.resolve(root, String((r.params.arguments || {}).path));
  if (r.params.name !== 'read_file' || !file.startsWith(root + path.sep)) return { content: [{ type: 'text', text: 'refused' }], isError: true };
  return { content: [{ type: 'text', text: fs.readFileSync(file, 'utf8') }] };
});
s.connect(new StdioServerTransport());
`;

/** Writes the bundled server as `<dir>/server.js` (dir readable by the sandbox's user); returns its pinned content hash. */
export function buildReadServer(dir: string): { dir: string; entry: string; sha256: string } {
  fs.mkdirSync(dir, { recursive: true });
  const entry = path.join(dir, 'server.js');
  buildSync({
    stdin: { contents: SOURCE, resolveDir: assets().root, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: entry,
    logLevel: 'error',
  });
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(entry, 0o644);
  return { dir, entry, sha256: contentHash(dir) };
}
