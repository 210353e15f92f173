// Sends the person's MCP servers to the kernel (`mcp/configure`): secrets looked up now (environment, then the OS
// keychain) and passed in memory; a server whose install folder changed since it was pinned is sent as it was pinned,
// so the kernel's check in the sandbox refuses it with the reason.
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import type { McpServerConfig, McpServerState } from '../../../protocol/src/methods/mcp';
import { type Managed, managedRefusal } from '../../../core/src/config/managed';
import type { KeyLookup } from '../auth/keys';
import type { StoredServer } from './servers-file';

/** Keychain account of one server's variable. */
export const secretAccount = (server: string, name: string) => `mcp:${server}:${name}`;

export async function serverConfigs(servers: Record<string, StoredServer>, env: NodeJS.ProcessEnv, keychain: KeyLookup | undefined,
  managed: Managed, warn: (line: string) => void): Promise<McpServerConfig[]> {
  const out: McpServerConfig[] = [];
  for (const [name, s] of Object.entries(servers)) {
    const why = managedRefusal(managed, 'mcp.servers', [name]);
    if (why) { warn(`airlock: MCP server ${name} not started: ${why}`); continue; }
    const values: Record<string, string> = {};
    const missing: string[] = [];
    for (const v of s.secrets) {
      const value = env[v] ?? await keychain?.get(secretAccount(name, v)).catch(() => undefined);
      if (value) values[v] = value; else missing.push(v);
    }
    if (missing.length) { warn(`airlock: MCP server ${name} not started: set ${missing.join(', ')} (environment or \`airlock mcp add ${name} … --secret\`)`); continue; }
    out.push({ name, ...(s.command ? { command: s.command } : {}), ...(s.url ? { url: s.url } : {}), args: s.args, env: values,
      callTimeoutMs: s.callTimeoutMs ?? 60_000,
      ...(s.npm ? { package: { hostDir: s.npm.dir, sha256: s.npm.sha256 } } : {}), ...(s.http ? { http: s.http } : {}) });
  }
  return out;
}

/** Starting servers takes a sandbox each and their initialisation: minutes at worst, never the default 30 s. */
export const CONFIGURE_TIMEOUT_MS = 5 * 60_000;

export async function pushServers(client: IKernelClient, configs: McpServerConfig[]): Promise<McpServerState[]> {
  return (await client.request('mcp/configure', { servers: configs }, { timeoutMs: CONFIGURE_TIMEOUT_MS })).servers;
}
