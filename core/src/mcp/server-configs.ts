// The person's MCP servers as the kernel takes them (`mcp/configure`), shared by the CLI and VS Code: managed settings'
// allow-list applied, each secret looked up now (environment, then the keychain when one is given) and passed in
// memory; a server missing a secret, or not allowed, is left out with the reason.
import * as fs from 'node:fs';
import { AirlockError } from '../../../protocol/src/errors';
import type { McpServerConfig } from '../../../protocol/src/methods/mcp';
import { headerRefs, missingSecret } from './header-template';
import { urlRefs } from './url-template';
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
    const header = Object.entries(s.headers ?? {}).find(([, t]) => headerRefs(t).some((r) => missing.includes(r)));
    const inUrl = s.url ? urlRefs(s.url).filter((r) => missing.includes(r)) : [];
    if (header || inUrl.length) {
      const e = header
        ? missingSecret(
            name,
            `header ${header[0]}`,
            headerRefs(header[1]).filter((r) => missing.includes(r)),
          )
        : missingSecret(name, 'its URL', inUrl);
      warn(`airlock: MCP server ${name} not started: ${e.code}: ${e.message} (${e.hint})`);
      continue;
    }
    if (missing.length) {
      warn(`airlock: MCP server ${name} not started: set ${missing.join(', ')} (environment or \`airlock mcp add ${name} … --secret\`)`);
      continue;
    }
    let ca: string | undefined;
    try {
      ca = remoteCa(name, s, env);
    } catch (e) {
      const a = AirlockError.from(e);
      warn(`airlock: MCP server ${name} not started: ${a.code}: ${a.message}${a.hint ? ` (${a.hint})` : ''}`);
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
      ...(s.transport ? { transport: s.transport } : {}),
      ...(s.headers && Object.keys(s.headers).length ? { headers: s.headers } : {}),
      ...(ca !== undefined ? { ca } : {}),
    });
  }
  return out;
}

/** Largest CA bundle sent with a server (the kernel's limit; 32 servers' fill one 8 MiB message). */
const MAX_CA_BYTES = 256 * 1024;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

/**
 * The CAs a remote https server may chain to besides the system's: its own `--ca` file, else the PEM file Node itself
 * would add here (NODE_EXTRA_CA_CERTS: what the person's other MCP clients trust). Read now, sent in memory.
 */
function remoteCa(name: string, s: StoredServer, env: NodeJS.ProcessEnv): string | undefined {
  if (!s.url?.startsWith('https://')) return undefined;
  const file = s.ca ?? env.NODE_EXTRA_CA_CERTS;
  if (!file) return undefined;
  let pem: Buffer;
  try {
    pem = fs.readFileSync(file);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    // As Node does with it: an unreadable NODE_EXTRA_CA_CERTS leaves the system's CAs alone (Node itself warned at this
    // process's start; a warning here would also make VS Code send no servers at all).
    if (!s.ca) return undefined;
    throw new AirlockError(
      'MCP_CA_UNREADABLE',
      `the CA file ${file} cannot be read (${why})`,
      'add the server again with a readable --ca FILE',
    );
  }
  // Only the certificates travel (a bundle's comments do not): every https server carries its copy in mcp/configure.
  const certs = pem.length > 16 * MAX_CA_BYTES ? [] : (pem.toString('latin1').match(PEM_CERT) ?? []);
  const out = certs.join('\n');
  if (!certs.length || out.length > MAX_CA_BYTES) {
    throw new AirlockError(
      'MCP_CA_INVALID',
      `the CA file ${file} is not a PEM file of certificates up to ${MAX_CA_BYTES} bytes`,
      `give the CA certificates of ${name}'s server as PEM (only the ones it needs, not a whole system bundle)`,
    );
  }
  return out + '\n';
}
