// MCP tool-call overhead: a read through `airlock mcp serve` (CLI -> kernel: workflow gate, policy, durable audit
// record, sanitiser) against the same read from a minimal MCP stdio server on the host, both driven by the SDK's Client
// in rounds. Plugin start: the SDK's example plugin (examples/plugins/hello), approved, from plugins/configure to ready
// in its own sandbox (cold), and plugins/configure of the same plugin while it runs (warm), through a real kernel.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Docker from 'dockerode';
import { KernelSupervisor } from '../bootstrap';
import type { PluginCandidate } from '../protocol/src/methods/plugins';
import { contentHash } from '../core/src/mcp/content-hash';
import { buildPlugin, HELLO_DIR } from '../test/unit/plugins/example';
import { engineOf, nowMs, percentile, sampleRounds, writeResults, type Figures } from './lib';

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

const PLUGIN_N = Number(process.env.BENCH_PLUGIN_N ?? 10);
const PLUGIN_WARM_N = 100;

/**
 * Cold: an approved plugin handed to the kernel until it answers ready (audited transitions, sandbox created, content
 * hashed inside it, node started, MCP initialise and tools/list); it is removed between rounds. Warm: the same request
 * while the plugin runs (the kernel checks it is unchanged and answers without restarting it).
 */
async function pluginReady(): Promise<{ cold: number[]; warm: number[] }> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bench-plugin-'));
  fs.chmodSync(base, 0o755);
  const workspace = path.join(base, 'ws');
  fs.mkdirSync(workspace);
  const dir = await buildPlugin(HELLO_DIR, path.join(base, 'hello'));
  const sha256 = contentHash(dir);
  const c: PluginCandidate = { source: 'user', dir, sha256, approved: sha256,
    manifest: JSON.parse(fs.readFileSync(path.join(dir, 'airlock-plugin.json'), 'utf8')) };
  const sup = await KernelSupervisor.start({ workspace, stateRoot: path.join(base, 'state'), runtime: 'docker' });
  try {
    const client = await sup.ready();
    const configure = async (plugins: PluginCandidate[]) => {
      const r = (await client.request('plugins/configure', { plugins }, { timeoutMs: 120_000 })).plugins;
      if (plugins.length && r[0]?.state !== 'ready') throw new Error(`plugin not ready: ${JSON.stringify(r[0])}`);
    };
    const timed = async (fn: () => Promise<void>) => { const t = nowMs(); await fn(); return nowMs() - t; };
    await configure([c]); // warm-up: images, the first sandbox
    await configure([]);
    const cold: number[] = [];
    for (let i = 0; i < PLUGIN_N; i++) { cold.push(await timed(() => configure([c]))); await configure([]); }
    await configure([c]);
    const warm: number[] = [];
    for (let i = 0; i < PLUGIN_WARM_N; i++) warm.push(await timed(() => configure([c])));
    await configure([]);
    return { cold, warm };
  } finally {
    sup.dispose();
    await sup.engine.docker.getContainer(`airlock-kernel-${sup.paths.id}`).remove({ force: true }).catch(() => undefined);
    await sup.engine.docker.getVolume(`airlock-outputs-${sup.paths.id}`).remove().catch(() => undefined);
    fs.rmSync(base, { recursive: true, force: true });
  }
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
  const plugin = await pluginReady();
  const pfig = (samples: number[], work: string, goal: string) =>
    ({ value: percentile(samples, 50), unit: 'ms', stat: 'p50' as const, n: samples.length, warmup: 1, model: 'in-process' as const, work, goal });
  const metrics: Figures = {
    mcp_call_p50_ms: fig(percentile(through, 50), 'MCP tools/call fs_read of a 4 KiB file through airlock mcp serve (kernel pipeline, audit)',
      '<= 1.3x mcp_direct_p50_ms and <= 2 ms added'),
    plugin_cold_ready_ms: pfig(plugin.cold, 'plugins/configure of an approved plugin (examples/plugins/hello) until ready in a new tool-plugin sandbox', '<= 300 ms'),
    plugin_warm_ready_ms: pfig(plugin.warm, 'plugins/configure of the same plugin while it is ready (no restart)', '<= 10 ms'),
  };
  const baselines: Figures = { mcp_direct_p50_ms: fig(percentile(plain, 50), 'the same tools/call against a minimal SDK stdio server on the host') };
  writeResults({ name: 'plugins', engine: await engineOf('docker', '/var/run/docker.sock'), metrics, baselines,
    ratios: [['mcp_call vs direct', 'mcp_call_p50_ms', 'mcp_direct_p50_ms']],
    notes: [`added p50: ${(percentile(through, 50) - percentile(plain, 50)).toFixed(2)} ms`,
      'Airlock direction of MCP (airlock mcp serve); MCP servers sandboxed as plugins are not measured here',
      `plugin cold ready p90: ${percentile(plugin.cold, 90).toFixed(0)} ms (sandbox create, in-sandbox content hash of a 1.2 MB bundle, node start, MCP init)`]});
  fs.rmSync(ws, { recursive: true, force: true });
}

main().catch((e) => { console.error(e); process.exit(1); });
