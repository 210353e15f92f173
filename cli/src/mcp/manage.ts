// `airlock mcp list|add|remove`: the person's MCP servers (servers-file.ts), installed on the host, run by the kernel in
// sandboxes (docs/mcp.md, "MCP servers in Airlock").
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AirlockError } from '../../../protocol/src/errors';
import { McpHeaderName, McpServerConfig, McpServerName } from '../../../protocol/src/methods/mcp';
import { headerRefs } from '../../../core/src/mcp/header-template';
import { loadManaged, managedRefusal } from '../../../core/src/config/managed';
import { contentHash } from '../../../core/src/mcp/content-hash';
import type { CliIO } from '../command';
import { withKernel } from '../kernel';
import { osKeychain } from '../auth/keychain';
import { readSecret } from '../auth/read-secret';
import { keepUrlSecrets, planUrl } from './add-url';
import { npmInstall } from './install';
import { pushServers, secretAccount, serverConfigs } from './push';
import { mcpHome, parseClientConfig, readServers, type StoredServer, writeServers } from '../../../core/src/mcp/servers-file';

export const MANAGE_USAGE = `airlock mcp list [--workspace DIR]
  Your MCP servers, whether their install folder still has its pinned content, and (starting the workspace's kernel)
  their state there: ready with their tools, or failed with the reason.
airlock mcp add NAME --npm PACKAGE[@VERSION] [--secret VAR]... [--timeout SECONDS] [--port N [--path P]] [-- ARGS...]
airlock mcp add NAME --command CMD [--secret VAR]... [--port N [--path P]] [-- ARGS...]
airlock mcp add NAME --url URL [--sse] [--header 'NAME: VALUE']... [--secret VAR]... [--ca FILE] [--timeout SECONDS]
  --npm      npm install on this machine (--ignore-scripts) into your config folder; pinned by its content hash and
             mounted read-only into the server's sandbox. --command: a program already in the sandbox image (node).
  --secret   a variable the server needs: taken from your environment, else your OS keychain (asked for now when it is
             in neither and a terminal is attached); passed to the kernel in memory, never written to a file
  --port     a streamable-HTTP server: it listens on this port (path --path, default /mcp) inside its sandbox, which
             has no network; the kernel reaches it through a relay in the sandbox
  --url      a remote streamable-HTTP server: reached only through the egress proxy, judged as plugin:mcp:NAME (add a
             net.connect rule for its host to your policy); TLS is the kernel's own, end to end
  --sse      the remote server speaks the older HTTP+SSE transport (without it: streamable HTTP, then SSE if refused)
  --header   a request header of the remote server (https only); \${VAR} in its value is the --secret VAR, put in
             by the kernel, in memory: 'Authorization: Bearer \${GITHUB_TOKEN}' --secret GITHUB_TOKEN
             A token the server takes in its URL works the same: --url 'https://…/mcp?key=\${KEY}' --secret KEY; one
             written literally in a query parameter named like a credential goes to your OS keychain, not the file
  --ca       a PEM file of CAs its certificate may chain to (default: NODE_EXTRA_CA_CERTS, then the system's)
airlock mcp add --from FILE
  Imports the stdio and remote (url: http or sse) servers of a .vscode/mcp.json or .mcp.json (\`npx PACKAGE\` entries
  become npm installs; env values are not copied, their names become --secret variables, as do \${input:ID} and
  \${env:VAR} in headers; each secret not in your environment is asked for now when a terminal is attached).
airlock mcp remove NAME`;

const usage = (m: string) => new AirlockError('CLI_USAGE', m, MANAGE_USAGE);

export async function manageMcp(sub: string, args: string[], io: CliIO): Promise<number> {
  switch (sub) {
    case 'list':
      return list(args, io);
    case 'add':
      return add(args, io);
    case 'remove':
      return remove(args, io);
    default:
      throw usage(`unknown mcp command ${JSON.stringify(sub)}`);
  }
}

async function list(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, options: { workspace: { type: 'string' } } });
  const servers = readServers(io.env);
  if (!Object.keys(servers).length) {
    io.out('no MCP servers (add one with `airlock mcp add`)');
    return 0;
  }
  const workspace = path.resolve(io.cwd, values.workspace ?? '.');
  const states = await withKernel(io, workspace, async (sup) => {
    const client = await sup.ready();
    let now = (await client.request('mcp/list', {})).servers;
    // A kernel that has not been given the servers yet starts them now, so the list says whether they work.
    if (!now.length) now = await pushServers(client, await serverConfigs(servers, io.env, osKeychain(), loadManaged(), io.err));
    return new Map(now.map((s) => [s.name, s]));
  });
  for (const [name, s] of Object.entries(servers)) {
    const changed = s.npm && fs.existsSync(s.npm.dir) && contentHash(s.npm.dir) !== s.npm.sha256 ? ' (CHANGED since added: refused)' : '';
    const k = states.get(name);
    const state = k ? `${k.state}${k.reason ? `: ${k.reason}` : ''}` : 'not started';
    const what = s.npm ? `npm ${s.npm.spec}` : s.url ? `remote ${s.url}${s.transport === 'sse' ? ' (sse)' : ''}` : s.command;
    io.out(`${name}  ${what}${changed}  ${state}`);
    if (k?.tools.length) io.out(`  tools: ${k.tools.join(', ')}`);
  }
  return 0;
}

async function add(args: string[], io: CliIO): Promise<number> {
  const dash = args.indexOf('--');
  const own = dash < 0 ? args : args.slice(0, dash);
  const extra = dash < 0 ? [] : args.slice(dash + 1);
  const { positionals, values } = parseArgs({
    args: own,
    allowPositionals: true,
    options: {
      npm: { type: 'string' },
      command: { type: 'string' },
      url: { type: 'string' },
      secret: { type: 'string', multiple: true },
      from: { type: 'string' },
      timeout: { type: 'string' },
      port: { type: 'string' },
      path: { type: 'string' },
      header: { type: 'string', multiple: true },
      sse: { type: 'boolean' },
      ca: { type: 'string' },
    },
  });
  const servers = readServers(io.env);
  const managed = loadManaged();
  if (values.from) {
    if (positionals.length || values.npm || values.command || values.url) throw usage('--from takes no name, --npm, --command or --url');
    const file = path.resolve(io.cwd, values.from);
    for (const e of parseClientConfig(fs.readFileSync(file, 'utf8'), file)) {
      if (e.skipped) {
        io.err(`airlock: skipped ${e.name}: ${e.skipped}`);
        continue;
      }
      const base = { secrets: e.env, from: file };
      servers[e.name] = e.npm
        ? await installed(io, e.name, e.npm, e.args, base)
        : e.url
          ? { url: e.url, args: [], ...base, transport: e.transport, headers: e.headers }
          : { command: e.command, args: e.args, ...base };
      for (const [h, v] of Object.entries(e.replaced ?? {}))
        io.err(`airlock: ${e.name}: the value of header ${h} was not copied; it is now the secret ${v}`);
      for (const [q, v] of Object.entries(e.replacedQuery ?? {}))
        io.err(`airlock: ${e.name}: the value of its URL's ${q} was not copied; it is now the secret ${v}`);
      await askSecrets(io, e.name, e.env);
      const unset = e.env.filter((v) => !io.env[v]);
      io.out(
        `added ${e.name}${
          e.npm
            ? ` (npm ${e.npm})`
            : e.url
              ? ` (remote${e.transport === 'sse' ? ' sse' : ''} ${e.url}: reached through the egress proxy, allow it in your policy)`
              : ` (${e.command}: must exist in the sandbox image)`
        }${unset.length && !process.stdin.isTTY ? `; needs ${unset.join(', ')} (your environment or the OS keychain)` : ''}`,
      );
    }
    writeServers(io.env, servers);
    return 0;
  }
  const name = positionals[0];
  if (positionals.length !== 1 || !McpServerName.safeParse(name).success)
    throw usage('give one server NAME (lower-case letters, digits, _ and -)');
  if ([values.npm, values.command, values.url].filter(Boolean).length !== 1)
    throw usage('give exactly one of --npm PACKAGE, --command CMD or --url URL');
  if (values.url && (values.port || extra.length)) throw usage('a remote server (--url) takes no --port and no ARGS');
  if (!values.url && (values.header || values.sse || values.ca)) throw usage('--header, --sse and --ca are for a remote server (--url)');
  const why = managedRefusal(managed, 'mcp.servers', [name]);
  if (why) throw new AirlockError('CONFIG_MANAGED_REFUSED', `MCP server ${name} is ${why}`, 'your administrator manages mcp.servers');
  const given = values.url === undefined ? undefined : planUrl(values.url, values.secret ?? [], usage);
  const url = given && { data: given.url };
  const secrets = given?.secrets ?? values.secret ?? [];
  const timeout = values.timeout === undefined ? undefined : Math.round(Number(values.timeout) * 1000);
  if (timeout !== undefined && !(timeout > 0 && timeout <= 600_000)) throw usage('--timeout is 1 to 600 seconds');
  const http = httpOption(values.port, values.path);
  const remote = url?.data ? remoteOptions(url.data, values.header ?? [], secrets, values.sse, values.ca, io.cwd) : {};
  const base = { secrets, ...(timeout ? { callTimeoutMs: timeout } : {}), ...(http ? { http } : {}), ...remote };
  servers[name] = values.npm
    ? await installed(io, name, values.npm, extra, base)
    : url?.data
      ? { url: url.data, args: [], ...base }
      : { command: values.command!, args: extra, ...base };
  if (given) await keepUrlSecrets(io, name, given, osKeychain);
  await askSecrets(
    io,
    name,
    secrets.filter((v) => !given?.taken.some((x) => x.secret === v)),
  );
  writeServers(io.env, servers);
  io.out(`added ${name}${servers[name].npm ? ` (sha256 ${servers[name].npm!.sha256.slice(0, 12)}…)` : ''}; \`airlock mcp list\` starts it`);
  return 0;
}

/** Each secret not in the environment is asked for on the terminal and kept in the OS keychain (never in a file). */
async function askSecrets(io: CliIO, name: string, secrets: string[]): Promise<void> {
  for (const v of secrets) {
    if (io.env[v] || !process.stdin.isTTY) continue;
    await osKeychain().set(secretAccount(name, v), await readSecret(io, `${v} for MCP server ${name}: `, MANAGE_USAGE));
  }
}

/** `--header 'Name: value'` (its `${VAR}` must be a --secret), `--sse`, `--ca FILE`. */
function remoteOptions(
  url: string,
  headers: string[],
  secrets: string[],
  sse: boolean | undefined,
  ca: string | undefined,
  cwd: string,
): Partial<StoredServer> {
  const parsed: Record<string, string> = {};
  for (const h of headers) {
    const i = h.indexOf(':');
    const name = h.slice(0, i).trim();
    const ok = McpHeaderName.safeParse(name);
    if (i < 1 || !ok.success) throw usage(`--header ${JSON.stringify(h)}: ${i < 1 ? "not 'Name: value'" : ok.error?.issues[0]?.message}`);
    parsed[name] = h.slice(i + 1).trim();
    const unset = headerRefs(parsed[name]).filter((r) => !secrets.includes(r));
    if (unset.length) throw usage(`--header ${name} uses ${unset.map((r) => `\${${r}}`).join(', ')}: add --secret ${unset[0]}`);
  }
  if (headers.length && !url.startsWith('https://')) throw usage('--header needs an https URL: a token is never sent in clear');
  return {
    ...(headers.length ? { headers: parsed } : {}),
    ...(sse ? { transport: 'sse' as const } : {}),
    ...(ca ? { ca: path.resolve(cwd, ca) } : {}),
  };
}

/** `--port N [--path /mcp]`: a streamable-HTTP server listening on that port inside its sandbox. */
function httpOption(port: string | undefined, p: string | undefined): StoredServer['http'] {
  if (port === undefined) {
    if (p !== undefined) throw usage('--path goes with --port');
    return undefined;
  }
  const r = McpServerConfig.shape.http.safeParse({ port: Number(port), ...(p !== undefined ? { path: p } : {}) });
  if (!r.success || !r.data) throw usage('--port is 1 to 65535; --path is a URL path starting with /');
  return r.data;
}

async function installed(
  io: CliIO,
  name: string,
  spec: string,
  extra: string[],
  base: Pick<StoredServer, 'secrets'> & Partial<StoredServer>,
): Promise<StoredServer> {
  const dir = path.join(mcpHome(io.env), name);
  io.err(`airlock: npm install ${spec} (scripts off) into ${dir}`);
  const r = await npmInstall(spec, dir);
  return { ...base, command: r.command, args: [...r.args, ...extra], npm: { spec, dir, sha256: r.sha256 } };
}

async function remove(args: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = args;
  if (!name || rest.length) throw usage('give one server NAME');
  const servers = readServers(io.env);
  const s = servers[name];
  if (!s) throw new AirlockError('MCP_UNKNOWN_SERVER', `no MCP server named ${name}`, '`airlock mcp list` shows yours');
  delete servers[name];
  writeServers(io.env, servers);
  if (s.npm) fs.rmSync(s.npm.dir, { recursive: true, force: true });
  for (const v of s.secrets)
    await osKeychain()
      .remove(secretAccount(name, v))
      .catch(() => false);
  io.out(`removed ${name} (a running kernel stops it at its next \`mcp/configure\`, or when it restarts)`);
  return 0;
}
