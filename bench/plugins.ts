// MCP tool-call overhead: a third-party MCP server (the SDK's stdio Server, bundled: test/integration/mcp/read-server.ts)
// configured as a person's server (servers.json, pinned) runs sandboxed in its mcp-server sandbox and is called through
// `airlock mcp serve` (CLI -> kernel router: policy `tool.call` on mcp:bench/read_file, durable decision record, the
// call over an engine exec stream into the sandbox, sanitiser, result record), against the very same server file spawned
// directly on the host over stdio; same SDK client, tool, arguments and rounds. Reference figures split the cost by hop:
// the same server reached in its sandbox over an engine exec stream from this process (no Airlock pipeline), the same
// call as `external/call` on the kernel socket (no `airlock mcp serve` process), Airlock's native fs_read through
// `airlock mcp serve` (the previous figure of this bench) and `kernel/ping`.
// Plugin start: the SDK's example plugin (examples/plugins/hello), approved, from plugins/configure to ready in its own
// sandbox (cold), and plugins/configure of the same plugin while it runs (warm), through a real kernel.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Docker from 'dockerode';
import { KernelSupervisor } from '../bootstrap';
import type { PluginCandidate } from '../protocol/src/methods/plugins';
import type { IKernelClient } from '../protocol/src/rpc-client';
import { contentHash } from '../core/src/mcp/content-hash';
import { buildPlugin, HELLO_DIR } from '../test/unit/plugins/example';
import { engineOf, nowMs, percentile, sampleRounds, writeResults, type Figures } from './lib';
import { personConfig, sandboxClient, SERVER } from './mcp-setup';
import { coldStages, type ColdStages } from './plugin-stages';

const N = Number(process.env.BENCH_N ?? 200);
const WARMUP = 20;
const root = path.join(__dirname, '..');

async function connect(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<Client> {
  const c = new Client({ name, version: '1' });
  await c.connect(
    new StdioClientTransport({ command: process.execPath, args, cwd: root, env: env as Record<string, string>, stderr: 'ignore' }),
  );
  return c;
}

/**
 * A kernel fills its sandboxes' warm pools right after it starts (several containers created at once); sampling then
 * measures the engine's start-up, not a call (profiled: fs.read p50 5.2 ms in the first 2 s, 1.3-1.9 ms in the next 10 s).
 * Waits until every pool is filled or says why not (bounded), so both figures are of a settled kernel.
 */
async function settled(kernel: Pick<IKernelClient, 'request'>): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const { health } = await kernel.request('sandbox/pools', {});
    if (Object.values(health).every((h) => h.pool.ready >= h.pool.target || !!h.pool.error || !!h.imageError)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, 1000)); // the last create's engine work
}

const PLUGIN_N = Number(process.env.BENCH_PLUGIN_N ?? 10);
const PLUGIN_WARM_N = 100;

/**
 * Cold: an approved plugin handed to the kernel until it answers ready (audited transitions, sandbox created, node
 * started with the package check in its own process, MCP initialise and tools/list); it is removed between rounds. Warm: the same request
 * while the plugin runs (the kernel checks it is unchanged and answers without restarting it).
 */
async function pluginReady(): Promise<{ cold: number[]; warm: number[]; stages: ColdStages[] }> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bench-plugin-'));
  fs.chmodSync(base, 0o755);
  const workspace = path.join(base, 'ws');
  fs.mkdirSync(workspace);
  const dir = await buildPlugin(HELLO_DIR, path.join(base, 'hello'));
  const sha256 = contentHash(dir);
  const c: PluginCandidate = {
    source: 'user',
    dir,
    sha256,
    approved: sha256,
    manifest: JSON.parse(fs.readFileSync(path.join(dir, 'airlock-plugin.json'), 'utf8')),
  };
  const sup = await KernelSupervisor.start({ workspace, stateRoot: path.join(base, 'state'), runtime: 'docker' });
  try {
    const client = await sup.ready();
    await settled(client);
    const configure = async (plugins: PluginCandidate[]) => {
      const r = (await client.request('plugins/configure', { plugins }, { timeoutMs: 120_000 })).plugins;
      if (plugins.length && r[0]?.state !== 'ready') throw new Error(`plugin not ready: ${JSON.stringify(r[0])}`);
    };
    const timed = async (fn: () => Promise<void>) => {
      const t = nowMs();
      await fn();
      return nowMs() - t;
    };
    await configure([c]); // warm-up: images, the first sandbox
    await configure([]);
    const cold: number[] = [];
    const first = (await client.request('audit/query', { limit: 1 })).entries[0]?.seq ?? 0;
    for (let i = 0; i < PLUGIN_N; i++) {
      cold.push(await timed(() => configure([c])));
      await configure([]);
    }
    // The timed starts' own trail (ascending from before the first): where each start's time went.
    const trail = await client.request('audit/query', { cursor: first, order: 'asc', limit: 5000, payloads: true });
    const stages = coldStages(trail.entries, 'hello');
    await configure([c]);
    const warm: number[] = [];
    for (let i = 0; i < PLUGIN_WARM_N; i++) warm.push(await timed(() => configure([c])));
    await configure([]);
    return { cold, warm, stages };
  } finally {
    sup.dispose();
    await sup.engine.docker
      .getContainer(`airlock-kernel-${sup.paths.id}`)
      .remove({ force: true })
      .catch(() => undefined);
    await sup.engine.docker
      .getVolume(`airlock-outputs-${sup.paths.id}`)
      .remove()
      .catch(() => undefined);
    fs.rmSync(base, { recursive: true, force: true });
  }
}

const stage = (rows: ColdStages[], k: keyof ColdStages) =>
  percentile(
    rows.map((r) => r[k]),
    50,
  ).toFixed(0);

async function main(): Promise<void> {
  const cli = path.join(root, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error('node scripts/build.mjs first');
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bench-mcp-'));
  const text = 'x'.repeat(63) + '\n';
  fs.writeFileSync(path.join(ws, 'a.txt'), text.repeat(64)); // 4 KiB, 64 lines
  fs.chmodSync(ws, 0o755);
  const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'albm-'));
  // A person's configuration of its own (config.yaml with policies.dir, servers.json): this process's kernel and the
  // spawned `airlock mcp serve` read the same one, so the CLI joins this kernel instead of replacing it.
  const configHome = fs.mkdtempSync(path.join(os.tmpdir(), 'albm-config-'));
  fs.chmodSync(configHome, 0o755);
  const { entry } = personConfig(configHome);
  process.env.XDG_CONFIG_HOME = configHome;
  delete process.env.AIRLOCK_CONFIG_FILE;
  const env = { ...process.env, AIRLOCK_STATE_ROOT: stateRoot };
  const sup = await KernelSupervisor.start({ workspace: ws, stateRoot, runtime: 'docker' });
  const kernel = await sup.ready();
  await settled(kernel);
  // `airlock mcp serve` sends the person's servers (and the plugins found) before its session opens, as before a task.
  const airlock = await connect('bench', [cli, 'mcp', 'serve', '--workspace', ws, '--mode', 'explore'], env);
  const bench = (await kernel.request('mcp/list', {})).servers.find((x) => x.name === SERVER);
  if (bench?.state !== 'ready' || !bench.sandbox) throw new Error(`MCP server ${SERVER} not ready: ${JSON.stringify(bench)}`);
  const direct = await connect('bench', [entry, ws], env);
  const inSandbox = await sandboxClient(bench.sandbox);
  const { session } = await kernel.request('external/open', { client: 'bench', mode: 'explore', approvals: false });
  await settled(kernel); // the plugins' and the session's sandboxes, the pools refilled
  const remote = `mcp_${SERVER}_read_file`;
  const kernelName = `mcp.${SERVER}.read_file`;
  const expected = fs.readFileSync(path.join(ws, 'a.txt'), 'utf8');
  // The MCP server's answer is the file as it is; Airlock's native read numbers its lines.
  const call =
    (c: Client, name: string, exact = true) =>
    async () => {
      const r = (await c.callTool({ name, arguments: { path: 'a.txt' } })) as CallToolResult;
      if (r.isError || (exact && (r.content[0] as { text?: string }).text !== expected)) {
        throw new Error(`${name}: ${JSON.stringify(r.content).slice(0, 500)}`);
      }
    };
  // The kernel's own clock of each call (router start -> result sanitised: gate, policy, durable decision, the tool).
  const inKernel: Record<string, number[]> = {};
  const rpc =
    (tool: string, args: Record<string, unknown> = { path: 'a.txt' }) =>
    async () => {
      const r = await kernel.request('external/call', { session, tool, arguments: args });
      if (r.type !== 'result' || !r.result.ok) throw new Error(JSON.stringify(r));
      (inKernel[tool] ??= []).push(r.result.durationMs ?? NaN);
    };
  const ping = async () => {
    await kernel.request('kernel/ping', {});
  };
  const [through, plain, sandboxed, rpcMcp, native, rpcNative, rpcStatus, pinged] = await sampleRounds(
    N,
    WARMUP,
    call(airlock, remote),
    call(direct, 'read_file'),
    call(inSandbox, 'read_file'),
    rpc(kernelName),
    call(airlock, 'fs_read', false),
    rpc('fs.read'),
    rpc('workflow.status', {}),
    ping,
  );
  await Promise.all([airlock.close(), direct.close(), inSandbox.close()]);
  await kernel.request('external/close', { session }).catch(() => undefined);
  sup.dispose();
  const docker = new Docker();
  for (const c of await docker.listContainers({ all: true, filters: { label: [`airlock.workspace=${fs.realpathSync(ws)}`] } })) {
    await docker.getContainer(c.Id).remove({ force: true });
  }
  const fig = (value: number, work: string, goal?: string) => ({
    value,
    unit: 'ms',
    stat: 'p50' as const,
    n: N,
    warmup: WARMUP,
    model: 'spawned-cli' as const,
    work,
    ...(goal ? { goal } : {}),
  });
  const plugin = await pluginReady();
  const pfig = (samples: number[], work: string, goal: string) => ({
    value: percentile(samples, 50),
    unit: 'ms',
    stat: 'p50' as const,
    n: samples.length,
    warmup: 1,
    model: 'in-process' as const,
    work,
    goal,
  });
  const p50 = (xs: number[]) => percentile(xs, 50);
  const metrics: Figures = {
    mcp_call_p50_ms: fig(
      p50(through),
      `MCP tools/call ${remote} (read a 4 KiB file) through airlock mcp serve: a third-party SDK server sandboxed as a ` +
        `person's MCP server, the call through the kernel's router (policy tool.call on mcp:${SERVER}/read_file, durable ` +
        "decision record, the server's stdio socket in its sandbox (no engine hop), sanitiser, result record)",
      '<= 1.3x mcp_direct_p50_ms and <= 2 ms added',
    ),
    plugin_cold_ready_ms: pfig(
      plugin.cold,
      'plugins/configure of an approved plugin (examples/plugins/hello) until ready in a new tool-plugin sandbox',
      '<= 300 ms',
    ),
    plugin_warm_ready_ms: pfig(plugin.warm, 'plugins/configure of the same plugin while it is ready (no restart)', '<= 10 ms'),
  };
  const baselines: Figures = {
    mcp_direct_p50_ms: fig(
      p50(plain),
      'the same tools/call (same server file, tool and arguments) against that server spawned directly on the host over stdio',
    ),
  };
  const inProc = (samples: number[], work: string) => ({ ...fig(p50(samples), work), model: 'in-process' as const });
  const reference: Figures = {
    mcp_sandbox_stdio_p50_ms: fig(
      p50(sandboxed),
      'the same tools/call against a second process of the server in its sandbox, over an engine exec stream from this ' +
        'process (the kernel transport, no Airlock pipeline)',
    ),
    mcp_kernel_rpc_p50_ms: inProc(
      rpcMcp,
      `the same call as external/call ${kernelName} on the kernel socket from this process (router, audit, sandbox; no mcp serve hop)`,
    ),
    mcp_native_read_p50_ms: fig(p50(native), "MCP tools/call fs_read of the same file through airlock mcp serve (Airlock's native read)"),
    mcp_native_rpc_p50_ms: inProc(rpcNative, 'fs.read of the same file as external/call on the kernel socket from this process'),
    mcp_workflow_status_rpc_p50_ms: inProc(
      rpcStatus,
      'workflow.status as external/call on the kernel socket (a non-native tool doing nothing: gate, durable decision, result)',
    ),
    kernel_ping_p50_ms: inProc(pinged, 'kernel/ping on the kernel socket from this process (socket and RPC framing only)'),
  };
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  writeResults({
    name: 'plugins',
    engine: await engineOf('docker', '/var/run/docker.sock'),
    metrics,
    baselines,
    reference,
    ratios: [['mcp_call vs direct', 'mcp_call_p50_ms', 'mcp_direct_p50_ms']],
    notes: [
      `added p50: ${(p50(through) - p50(plain)).toFixed(2)} ms (sandboxed server through Airlock vs the same server on the host)`,
      `by hop (wall-clock p50 differences, same rounds): the sandbox's engine exec stream ${ms(p50(sandboxed) - p50(plain))} ` +
        `over the host's stdio; the kernel socket + RPC ${ms(p50(pinged))}; in the kernel beyond a bare exec stream ` +
        `${ms(p50(rpcMcp) - p50(pinged) - p50(sandboxed))}; the mcp serve process and its stdio ${ms(p50(through) - p50(rpcMcp))}`,
      `the kernel's own clock (router start to result sanitised, warm-up included, n=${inKernel[kernelName].length}): ` +
        `${kernelName} ${ms(p50(inKernel[kernelName]))} (gate, policy, durable decision, then the call into the sandbox ` +
        `through the kernel's MCP client, sanitiser); workflow.status ${ms(p50(inKernel['workflow.status']))} (gate, durable ` +
        `decision, a tool doing nothing): so the call into the sandbox from the kernel ~` +
        `${ms(p50(inKernel[kernelName]) - p50(inKernel['workflow.status']))}, against ${ms(p50(sandboxed))} for the same ` +
        `exec stream from this process; fs.read ${ms(p50(inKernel['fs.read']))} (a native read runs while its decision ` +
        `commits, so its clock leaves the commit out); external/call wall-clock minus the clock: ` +
        `${ms(p50(rpcMcp) - p50(inKernel[kernelName]))} for ${kernelName}, ${ms(p50(rpcStatus) - p50(inKernel['workflow.status']))} ` +
        'for workflow.status (RPC, scheduling, the result record)',
      `Airlock's native read through mcp serve: ${ms(p50(native))} (kernel socket ${ms(p50(rpcNative))})`,
      `plugin cold ready p90: ${percentile(plugin.cold, 90).toFixed(0)} ms`,
      `plugin cold start by stage (p50 of ${plugin.stages.length} starts, from the audit trail's ms timestamps): transitions recorded ` +
        `${stage(plugin.stages, 'recordedMs')} ms; its sandbox created ${stage(plugin.stages, 'sandboxMs')} ms; its process to ready ` +
        `(exec, node, the package check in that process, MCP initialise + tools/list) ${stage(plugin.stages, 'processMs')} ms`,
    ],
  });
  fs.rmSync(ws, { recursive: true, force: true });
  fs.rmSync(configHome, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
