// The person's MCP servers (`airlock mcp add|remove|list`): one JSON file beside the user config, names of secrets only
// (values come from the environment or the OS keychain when the servers are sent to the kernel, never from a file).
import * as path from 'node:path';
import { z } from 'zod';
import { AirlockError } from '../../../protocol/src/errors';
import { McpHeaderName, McpServerConfig, McpServerName } from '../../../protocol/src/methods/mcp';
import { headersRefs } from './header-template';
import { importHeaders } from './import-headers';
import { templateUrl, urlRefs } from './url-template';
import { userConfigFile } from '../config/resolve';
import { readPrivateJson, writePrivateJson } from '../private-json';

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/);

export const StoredServer = z
  .object({
    /** The program its sandbox runs; absent for a remote server (`url`). */
    command: z.string().min(1).optional(),
    /** A remote streamable-HTTP server (`airlock mcp add --url`), reached only through the egress proxy. */
    url: McpServerConfig.shape.url,
    args: z.array(z.string()).default([]),
    /** Variables the server needs; each value is looked up when the servers are sent: $NAME, then the keychain. */
    secrets: z.array(EnvName).default([]),
    /** An npm install on this machine, mounted read-only into the server's sandbox; `sha256` pinned at `add`. */
    npm: z.object({ spec: z.string().min(1), dir: z.string().startsWith('/'), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
    callTimeoutMs: z.number().int().positive().max(600_000).optional(),
    /** A streamable-HTTP server: the port (and path) it listens on inside its sandbox (`--port`, `--path`). */
    http: McpServerConfig.shape.http,
    /** A remote server's protocol: streamable HTTP (default) or the older SSE transport (`--sse`, `type: "sse"`). */
    transport: McpServerConfig.shape.transport,
    /** A remote server's request headers as templates: `${NAME}` is one of `secrets`, never a value (`--header`). */
    headers: z.record(McpHeaderName, z.string().max(8192)).optional(),
    /** A PEM file of CAs a remote https server's certificate may chain to (`--ca`); read each time servers are sent. */
    ca: z.string().startsWith('/').optional(),
    /** Where an imported server came from (`.vscode/mcp.json`, `.mcp.json`). */
    from: z.string().optional(),
  })
  .strict()
  .refine((v) => !!v.command !== !!v.url, 'a server has a command or a url')
  .refine((v) => headersRefs(v.headers).every((r) => v.secrets.includes(r)), 'every ${NAME} in a header is one of its secrets')
  .refine((v) => !v.url || urlRefs(v.url).every((r) => v.secrets.includes(r)), 'every ${NAME} in its url is one of its secrets');
export type StoredServer = z.infer<typeof StoredServer>;
const ServersFile = z.object({ servers: z.record(McpServerName, StoredServer).default({}) }).strict();

/** `<config dir>/mcp/servers.json`; install folders are `<config dir>/mcp/<name>/`. */
export function mcpHome(env: NodeJS.ProcessEnv): string {
  return path.join(path.dirname(userConfigFile(env)), 'mcp');
}

export function readServers(env: NodeJS.ProcessEnv): Record<string, StoredServer> {
  return (
    readPrivateJson(
      path.join(mcpHome(env), 'servers.json'),
      ServersFile,
      (why) => new AirlockError('MCP_CONFIG_INVALID', why, 'fix or delete it'),
    )?.servers ?? {}
  );
}

/** Written whole through a temp file and a rename, readable by the person only. */
export function writeServers(env: NodeJS.ProcessEnv, servers: Record<string, StoredServer>): void {
  writePrivateJson(path.join(mcpHome(env), 'servers.json'), { servers });
}

/** One stdio entry of another client's configuration, as Airlock will run it. */
export interface Imported {
  name: string;
  command: string;
  args: string[];
  env: string[];
  npm?: string;
  url?: string;
  transport?: 'http' | 'sse';
  /** Header templates (`${NAME}` for each secret; the names are in `env`). */
  headers?: Record<string, string>;
  /** Literal credentials not copied: header → the secret that now holds its value. */
  replaced?: Record<string, string>;
  /** The same for query parameters of its URL (`?api_key=…` → `?api_key=${API_KEY}`). */
  replacedQuery?: Record<string, string>;
  skipped?: string;
}

/**
 * Reads `.vscode/mcp.json` (`servers`) or `.mcp.json` / Claude and Cursor style (`mcpServers`). Stdio entries and
 * remote ones (a `url`: `type` http, streamable-http or sse; without a type, sse when the path ends in /sse) are taken,
 * their headers as templates (import-headers.ts). `npx [-y] PACKAGE ARGS` becomes an npm install of PACKAGE (run in
 * the sandbox, not fetched at each start); env values are never copied, only their names (secrets to supply).
 */
export function parseClientConfig(text: string, source: string): Imported[] {
  let raw: unknown;
  // VS Code's file allows comments and trailing commas.
  try {
    raw = JSON.parse(text.replace(/^\s*\/\/.*$/gm, '').replace(/,(\s*[}\]])/g, '$1'));
  } catch (e) {
    throw new AirlockError('MCP_IMPORT_INVALID', `${source} is not JSON: ${(e as Error).message}`);
  }
  const o = (raw ?? {}) as { servers?: unknown; mcpServers?: unknown };
  const entries = (o.servers ?? o.mcpServers) as Record<string, Record<string, unknown>> | undefined;
  if (!entries || typeof entries !== 'object') {
    throw new AirlockError(
      'MCP_IMPORT_INVALID',
      `${source} has neither "servers" nor "mcpServers"`,
      'pass a .vscode/mcp.json or .mcp.json',
    );
  }
  const out: Imported[] = [];
  for (const [rawName, e] of Object.entries(entries)) {
    const name = rawName
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .slice(0, 32);
    const env = Object.keys((e?.env ?? {}) as Record<string, unknown>).filter((k) => EnvName.safeParse(k).success);
    const untyped = typeof e?.url === 'string' && /\/sse\/?$/.test(e.url.split('?')[0]) ? 'sse' : 'http';
    const type = typeof e?.type === 'string' ? e.type : e?.url ? untyped : 'stdio';
    if (!McpServerName.safeParse(name).success) {
      out.push({ name: rawName, command: '', args: [], env, skipped: 'its name cannot be used' });
      continue;
    }
    if ((type === 'http' || type === 'streamable-http' || type === 'sse') && typeof e?.url === 'string') {
      // A remote server: reached through the egress proxy under its own allowlist (docs/mcp.md).
      const u = templateUrl(e.url, o.servers !== undefined);
      const url = McpServerConfig.shape.url.safeParse(u.url);
      if (u.skipped || !url.success || !url.data) {
        out.push({ name, command: '', args: [], env, skipped: u.skipped ?? `its url is not an http(s) URL without credentials` });
        continue;
      }
      const h = importHeaders(e.headers, o.servers !== undefined);
      const https = url.data.startsWith('https://');
      const skipped =
        h.skipped ??
        (Object.keys(h.headers).length && !https ? 'it sends headers over plain http' : undefined) ??
        (u.secrets.length && !https ? 'it sends a secret in its URL over plain http' : undefined);
      out.push({
        name,
        command: '',
        url: url.data,
        args: [],
        env: [...new Set([...env, ...h.secrets, ...u.secrets])],
        ...(Object.keys(u.replaced).length ? { replacedQuery: u.replaced } : {}),
        ...(type === 'sse' ? { transport: 'sse' as const } : {}),
        ...(Object.keys(h.headers).length ? { headers: h.headers } : {}),
        ...(Object.keys(h.replaced).length ? { replaced: h.replaced } : {}),
        ...(skipped ? { skipped } : {}),
      });
      continue;
    }
    if (type !== 'stdio' || typeof e?.command !== 'string') {
      out.push({ name, command: '', args: [], env, skipped: `${type} servers are not supported (stdio, http and sse only)` });
      continue;
    }
    const args = Array.isArray(e.args) ? e.args.map(String) : [];
    if (e.command === 'npx') {
      const rest = args.filter((a, i) => !(i === 0 && (a === '-y' || a === '--yes')));
      const pkg = rest.find((a) => !a.startsWith('-'));
      if (pkg) {
        out.push({ name, command: 'node', args: rest.slice(rest.indexOf(pkg) + 1), env, npm: pkg });
        continue;
      }
    }
    out.push({ name, command: e.command, args, env });
  }
  return out;
}
