// The person's MCP servers as the kernel takes them (`mcp/configure`), shared by the CLI and VS Code: managed settings'
// allow-list applied, each secret looked up now (environment, then the keychain when one is given) and passed in
// memory; a server missing a secret, or not allowed, is left out with the reason.
import type { McpServerConfig } from '../../../protocol/src/methods/mcp';
import { type Managed, managedRefusal } from '../config/managed';
import type { StoredServer } from './servers-file';

/** Keychain account of one server's variable. */
export const secretAccount = (server: string, name: string) => `mcp:${server}:${name}`;

/** Where secrets come from besides the environment (the CLI's OS keychain); absent: the environment only. */
export interface SecretLookup {
  get(account: string): Promise<string | undefined>;
}

export async function serverConfigs(
  servers: Record<string, StoredServer>,
  env: NodeJS.ProcessEnv,
  keychain: SecretLookup | undefined,
  managed: Managed,
  warn: (line: string) => void,
): Promise<McpServerConfig[]> {
  const out: McpServerConfig[] = [];
  for (const [name, s] of Object.entries(servers)) {
    const why = managedRefusal(managed, 'mcp.servers', [name]);
    if (why) {
      warn(`airlock: MCP server ${name} not started: ${why}`);
      continue;
    }
    const values: Record<string, string> = {};
    const missing: string[] = [];
    for (const v of s.secrets) {
      const value = env[v] ?? (await keychain?.get(secretAccount(name, v)).catch(() => undefined));
      if (value) values[v] = value;
      else missing.push(v);
    }
    if (missing.length) {
      warn(`airlock: MCP server ${name} not started: set ${missing.join(', ')} (environment or \`airlock mcp add ${name} … --secret\`)`);
      continue;
    }
    out.push({
      name,
      ...(s.command ? { command: s.command } : {}),
      ...(s.url ? { url: s.url } : {}),
      args: s.args,
      env: values,
      callTimeoutMs: s.callTimeoutMs ?? 60_000,
      ...(s.npm ? { package: { hostDir: s.npm.dir, sha256: s.npm.sha256 } } : {}),
      ...(s.http ? { http: s.http } : {}),
    });
  }
  return out;
}
