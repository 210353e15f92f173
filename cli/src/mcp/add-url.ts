// `airlock mcp add NAME --url URL`: the URL as stored. A token written literally in its query (`?api_key=…`) is never
// written to a file: it goes to the OS keychain as a secret of the server and the URL keeps `${API_KEY}` in its place.
import { AirlockError } from '../../../protocol/src/errors';
import { McpServerConfig } from '../../../protocol/src/methods/mcp';
import { templateUrl } from '../../../core/src/mcp/url-template';
import type { CliIO } from '../command';
import { type Keychain, keychainUnavailable } from '../auth/keychain';
import { secretAccount } from './push';

export interface UrlPlan {
  url: string;
  /** The secrets the server needs: those given plus those taken out of the URL. */
  secrets: string[];
  /** Literal credentials taken out of the query: parameter → secret and its value. */
  taken: Array<{ param: string; secret: string; value: string }>;
}

/** The URL as it will be stored; checks it and its `${NAME}` (each a --secret, https only). Stores nothing yet. */
export function planUrl(raw: string, secrets: string[], usage: (m: string) => AirlockError): UrlPlan {
  const t = templateUrl(raw, false);
  if (t.skipped) throw usage(`--url: ${t.skipped.replace(/^its URL/, 'it')}`);
  const ok = McpServerConfig.shape.url.safeParse(t.url);
  if (!ok.success || !ok.data) throw usage('--url is an http(s) URL without user:password@');
  const taken = Object.entries(t.replaced).map(([param, secret]) => ({ param, secret, value: t.values[secret] }));
  const unset = t.secrets.filter((r) => !secrets.includes(r) && !taken.some((x) => x.secret === r));
  if (unset.length) throw usage(`--url uses ${unset.map((r) => `\${${r}}`).join(', ')}: add --secret ${unset[0]}`);
  if (t.secrets.length && !t.url.startsWith('https://'))
    throw usage('a secret in --url needs an https URL: a token is never sent in clear');
  return { url: t.url, secrets: [...new Set([...secrets, ...taken.map((x) => x.secret)])], taken };
}

/** The literal credentials taken out of the URL go to the OS keychain; without one the server is not added. */
export async function keepUrlSecrets(io: CliIO, name: string, plan: UrlPlan, keychain: () => Keychain): Promise<void> {
  for (const { param, secret, value } of plan.taken) {
    try {
      await keychain().set(secretAccount(name, secret), value);
    } catch (e) {
      throw new AirlockError(
        'MCP_SECRET_NOT_STORED',
        `MCP server ${name}: the value of --url's ${param} is a credential and was not stored: ${keychainUnavailable(e).message}`,
        `set ${secret} in your environment and give --url '…${param}=\${${secret}}' --secret ${secret} instead`,
      );
    }
    io.err(
      `airlock: ${name}: the value of --url's ${param} was not written to a file; it is the secret ${secret} in your OS keychain` +
        (io.env[secret] ? ` (${secret} in your environment is used before it)` : ''),
    );
  }
}
