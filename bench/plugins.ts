// MCP tool-call overhead: a read through `airlock mcp serve` (CLI -> kernel: workflow gate, policy, durable audit
// record, sanitiser) against the same read from a minimal MCP stdio server on the host, both driven by the SDK's Client
// in rounds. The plugin figures (plugin_cold_ready_ms, plugin_warm_ready_ms) wait for the plugin system (issue 17).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Docker from 'dockerode';
import { engineOf, percentile, sampleRounds, writeResults, type Figures } from './lib';

const N = Number(process.env.BENCH_N ?? 200);
const WARMUP = 20;
const root = path.join(__dirname, '..');

/** The baseline: the same tool (read a workspace file, return its text) with no policy, audit or isolation. */
const DIRECT_SERVER = `
const fs = require('fs'); const path = require('path');
const { Server } = require('@modelcontextprotocol/sdk/server/index.js');
const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');
const { CallToolRequestSchema, ListToolsRequestSchema } = require('@modelcontextprotocol/sdk/types.js');
const ws = process.argv[1];
const s = new Server({ name: 'direct', version: '1' }, { capabilities: { tools: {} } });
s.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: 'fs_read', inputSchema: { type: 'object' } }] }));
s.setRequestHandler(CallToolRequestSchema, async (r) =>
  ({ content: [{ type: 'text', text: fs.readFileSync(path.join(ws, String(r.params.arguments.path)), 'utf8') }] }));
s.connect(new StdioServerTransport());`;

async function connect(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<Client> {
  const c = new Client({ name, version: '1' });
  await c.connect(new StdioClientTransport({ command: process.execPath, args, cwd: root, env: env as Record<string, string>, stderr: 'ignore' }));
  return c;
}

async function main(): Promise<void> {
  const cli = path.join(root, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error('node scripts/build.mjs first');
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bench-mcp-'));
  const text = 'x'.repeat(63) + '\n';
  fs.writeFileSync(path.join(ws, 'a.txt'), text.repeat(64)); // 4 KiB, 64 lines
  const env = { ...process.env, AIRLOCK_STATE_ROOT: fs.mkdtempSync(path.join(os.tmpdir(), 'albm-')) };
  const airlock = await connect('bench', [cli, 'mcp', 'serve', '--workspace', ws, '--mode', 'explore'], env);
  const direct = await connect('bench', ['-e', DIRECT_SERVER, ws], env);
  const read = (c: Client) => async () => {
    const r = (await c.callTool({ name: 'fs_read', arguments: { path: 'a.txt' } })) as CallToolResult;
    if (r.isError) throw new Error(JSON.stringify(r.content));
  };
  const [through, plain] = await sampleRounds(N, WARMUP, read(airlock), read(direct));
  await Promise.all([airlock.close(), direct.close()]);
  const docker = new Docker();
  for (const c of await docker.listContainers({ all: true, filters: { label: [`airlock.workspace=${fs.realpathSync(ws)}`] } })) {
    await docker.getContainer(c.Id).remove({ force: true });
  }
  const fig = (value: number, work: string, goal?: string) =>
    ({ value, unit: 'ms', stat: 'p50' as const, n: N, warmup: WARMUP, model: 'spawned-cli' as const, work, ...(goal ? { goal } : {}) });
  const metrics: Figures = {
    mcp_call_p50_ms: fig(percentile(through, 50), 'MCP tools/call fs_read of a 4 KiB file through airlock mcp serve (kernel pipeline, audit)',
      '<= 1.3x mcp_direct_p50_ms and <= 2 ms added'),
  };
  const baselines: Figures = { mcp_direct_p50_ms: fig(percentile(plain, 50), 'the same tools/call against a minimal SDK stdio server on the host') };
  writeResults({ name: 'plugins', engine: await engineOf('docker', '/var/run/docker.sock'), metrics, baselines,
    ratios: [['mcp_call vs direct', 'mcp_call_p50_ms', 'mcp_direct_p50_ms']],
    notes: [`added p50: ${(percentile(through, 50) - percentile(plain, 50)).toFixed(2)} ms`,
      'Airlock direction of MCP (airlock mcp serve); MCP servers sandboxed as plugins and plugin_cold/warm_ready_ms are not built yet']});
  fs.rmSync(ws, { recursive: true, force: true });
}

main().catch((e) => { console.error(e); process.exit(1); });
