// `airlock plugins list|add|approve|remove|logs`: plugins found on this machine (core/src/plugins/discover.ts), handed to
// the workspace's kernel, which verifies them and runs each approved one in its own sandbox (docs/plugins.md).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AirlockError } from '../../../protocol/src/errors';
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import type { PluginState } from '../../../protocol/src/methods/plugins';
import { PLUGIN_MANIFEST_FILE, PluginManifest, PluginName } from '../../../protocol/src/plugin-manifest';
import { assets } from '../../../protocol/src/node/assets';
import { contentHash } from '../../../core/src/mcp/content-hash';
import { discoverPlugins, readApprovals, readManifest, userPluginsDir, writeApprovals } from '../../../core/src/plugins/discover';
import type { CliIO } from '../command';
import { withKernel } from '../kernel';

export const PLUGINS_USAGE = `airlock plugins list [--workspace DIR]
  The plugins found (your plugins folder, Airlock's built-ins, the workspace's .airlock/plugins/), their state in the
  workspace's kernel (verified and waiting for approval, ready with their tools, or failed with the reason),
  capabilities and hash.
airlock plugins add DIR
  Copies a built plugin (a folder with ${PLUGIN_MANIFEST_FILE}) into your plugins folder and shows what it asks for.
airlock plugins approve NAME [--sha256 HASH] [--workspace DIR]
  Approves a verified plugin at its current content hash (pinned: a changed plugin waits for approval again); the
  kernel then starts it in its own sandbox. --sha256: approve only if the content still has this hash.
airlock plugins remove NAME [--workspace DIR]
  Removes the plugin from your plugins folder and its approval, and stops it.
airlock plugins logs NAME [--workspace DIR]
  Its lifecycle (each transition, as audited) and the last lines its process logged.`;

const usage = (m: string) => new AirlockError('CLI_USAGE', m, PLUGINS_USAGE);
/** Verifying is quick; starting takes a sandbox and the plugin's initialisation. */
const START_TIMEOUT_MS = 5 * 60_000;

export async function managePlugins(sub: string | undefined, args: string[], io: CliIO): Promise<number> {
  switch (sub) {
    case 'list':
      return list(args, io);
    case 'add':
      return add(args, io);
    case 'approve':
      return approve(args, io);
    case 'remove':
      return remove(args, io);
    case 'logs':
      return logs(args, io);
    default:
      throw usage(sub ? `unknown plugins command ${JSON.stringify(sub)}` : 'give a plugins command');
  }
}

/** Hands every plugin found to the kernel (which verifies them and starts the approved ones) and returns their states. */
export async function pushPlugins(client: IKernelClient, workspace: string, io: Pick<CliIO, 'env' | 'err'>): Promise<PluginState[]> {
  // The built-ins this Airlock ships (dist/plugins); the kernel pre-approves them only at the content it shipped.
  const found = discoverPlugins({ workspace, env: io.env, builtinDir: assets().builtinPluginsDir });
  for (const s of found.skipped) io.err(`airlock: skipped ${s}`);
  return (await client.request('plugins/configure', { plugins: found.candidates }, { timeoutMs: START_TIMEOUT_MS })).plugins;
}

function show(p: PluginState, io: CliIO): void {
  io.out(`${p.name}${p.version ? ` ${p.version}` : ''}  ${p.source}  ${p.state}${p.reason ? `: ${p.reason}` : ''}`);
  const c = p.capabilities;
  if (c) {
    const asks = [
      c.reads.length ? `reads ${c.reads.join(' ')}` : '',
      c.writes ? 'writes (as patches)' : '',
      c.exec.length ? `exec ${c.exec.join(', ')}` : '',
      c.network.length ? `network ${c.network.join(' ')}` : '',
    ].filter(Boolean);
    io.out(`  capabilities: ${asks.join('; ') || 'none'}`);
  }
  io.out(`  sha256: ${p.sha256}${p.approved && p.approved !== p.sha256 ? ` (approved: ${p.approved})` : ''}`);
  if (p.tools.length) io.out(`  tools: ${p.tools.join(', ')}`);
}

const workspaceOf = (io: CliIO, w: string | undefined) => path.resolve(io.cwd, w ?? '.');

async function list(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, options: { workspace: { type: 'string' } } });
  const states = await withKernel(io, workspaceOf(io, values.workspace), async (sup) =>
    pushPlugins(await sup.ready(), workspaceOf(io, values.workspace), io),
  );
  if (!states.length) io.out(`no plugins (add one with \`airlock plugins add DIR\`, or put it in .airlock/plugins/)`);
  for (const p of states) show(p, io);
  return 0;
}

async function add(args: string[], io: CliIO): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw usage("give the plugin's folder");
  const src = path.resolve(io.cwd, positionals[0]);
  const raw = readManifest(src);
  const m = PluginManifest.safeParse(raw);
  if (!m.success) {
    throw new AirlockError(
      'PLUGIN_MANIFEST_INVALID',
      `${path.join(src, PLUGIN_MANIFEST_FILE)} is ${raw === null ? 'missing or not JSON' : `invalid: ${m.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`}`,
      'build the plugin first (`npm run build` writes its manifest)',
    );
  }
  if (!fs.existsSync(path.join(src, m.data.entry))) {
    throw new AirlockError('PLUGIN_ENTRY_MISSING', `${m.data.entry} is not in ${src}`, 'build the plugin first (`npm run build`)');
  }
  const dest = path.join(userPluginsDir(io.env), m.data.name);
  fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
  fs.rmSync(dest, { recursive: true, force: true });
  // Only what runs: the manifest and the built files it names (node_modules and sources stay behind; the entry is a bundle).
  fs.cpSync(src, dest, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (f) => !/(^|\/)(node_modules|\.git)(\/|$)/.test(path.relative(src, f)),
  });
  fs.chmodSync(dest, 0o755);
  show(
    {
      name: m.data.name,
      version: m.data.version,
      source: 'user',
      state: 'discovered',
      sha256: contentHash(dest),
      capabilities: m.data.capabilities,
      tools: [],
    },
    io,
  );
  io.out(`added ${m.data.name} to ${dest}; approve it with \`airlock plugins approve ${m.data.name}\``);
  return 0;
}

async function approve(args: string[], io: CliIO): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { workspace: { type: 'string' }, sha256: { type: 'string' } },
  });
  const name = positionals[0];
  if (positionals.length !== 1 || !PluginName.safeParse(name).success) throw usage('give one plugin NAME');
  const workspace = workspaceOf(io, values.workspace);
  return withKernel(io, workspace, async (sup) => {
    const client = await sup.ready();
    const p = (await pushPlugins(client, workspace, io)).find((x) => x.name === name);
    if (!p) throw new AirlockError('PLUGIN_UNKNOWN', `no plugin named ${name}`, '`airlock plugins list` shows the plugins found');
    if (values.sha256 && values.sha256 !== p.sha256) {
      throw new AirlockError(
        'PLUGIN_HASH_MISMATCH',
        `${name} now has sha256 ${p.sha256}, not ${values.sha256}`,
        'look at what changed before approving',
      );
    }
    if (p.state === 'ready' && p.approved === p.sha256) {
      show(p, io);
      io.out(`${name} is already approved at this content`);
      return 0;
    }
    const r = (await client.request('plugins/approve', { name, sha256: p.sha256 }, { timeoutMs: START_TIMEOUT_MS })).plugin;
    // Kept on this machine so the next kernel starts it without asking; the kernel recorded the approval itself.
    writeApprovals(io.env, { ...readApprovals(io.env), [name]: { sha256: p.sha256, approvedAt: new Date().toISOString() } });
    show(r, io);
    return r.state === 'ready' ? 0 : 1;
  });
}

async function remove(args: string[], io: CliIO): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { workspace: { type: 'string' } } });
  const name = positionals[0];
  if (positionals.length !== 1 || !PluginName.safeParse(name).success) throw usage('give one plugin NAME');
  const dir = path.join(userPluginsDir(io.env), name);
  const had = fs.existsSync(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  const approvals = readApprovals(io.env);
  const wasApproved = name in approvals;
  delete approvals[name];
  writeApprovals(io.env, approvals);
  const stopped = await withKernel(
    io,
    workspaceOf(io, values.workspace),
    async (sup) => (await (await sup.ready()).request('plugins/remove', { name })).removed,
  );
  if (!had && !wasApproved && !stopped)
    throw new AirlockError('PLUGIN_UNKNOWN', `no plugin named ${name}`, '`airlock plugins list` shows the plugins found');
  io.out(`removed ${name}${had ? '' : ' (not in your plugins folder: a workspace plugin stays in .airlock/plugins/, now unapproved)'}`);
  return 0;
}

async function logs(args: string[], io: CliIO): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { workspace: { type: 'string' } } });
  const name = positionals[0];
  if (positionals.length !== 1 || !PluginName.safeParse(name).success) throw usage('give one plugin NAME');
  const workspace = workspaceOf(io, values.workspace);
  const lines = await withKernel(io, workspace, async (sup) => {
    const client = await sup.ready();
    if (!(await client.request('plugins/list', {})).plugins.some((p) => p.name === name)) await pushPlugins(client, workspace, io);
    return (await client.request('plugins/logs', { name })).lines;
  });
  for (const l of lines) io.out(l);
  return 0;
}
