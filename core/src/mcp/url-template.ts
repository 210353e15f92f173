// A remote MCP server's URL as a template: `${NAME}` in its path or query names a secret (substituted in the kernel,
// URL-encoded, https only), and what is stored, recorded or shown of a URL never holds a credential's value.
import { createHash } from 'node:crypto';
import { AirlockError } from '../../../protocol/src/errors';
import { headerRefs, missingSecret, REF } from './header-template';
import { CREDENTIAL, secretName, templateVariables } from './import-headers';

/** The scheme and authority, then the rest (path, query, fragment). */
function split(url: string): { origin: string; path: string; query: string | undefined; fragment: string } {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*)([^?#]*)(?:\?([^#]*))?(#.*)?$/s.exec(url);
  if (!m) return { origin: url, path: '', query: undefined, fragment: '' };
  return { origin: m[1], path: m[2], query: m[3], fragment: m[4] ?? '' };
}

function join(p: ReturnType<typeof split>, pairs: string[] | undefined): string {
  return `${p.origin}${p.path}${pairs === undefined ? '' : `?${pairs.join('&')}`}${p.fragment}`;
}

/** A query parameter whose literal value is a credential: named as a credential header would be, or a short form. */
const credential = (name: string): boolean => CREDENTIAL.test(name) || /^(sig|pwd|pw)$/i.test(name);

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
};

/** The secret names the URL refers to (in its path, query or fragment; never its host). */
export function urlRefs(url: string): string[] {
  const p = split(url);
  return headerRefs(url.slice(p.origin.length));
}

/** True when a `${` appears in the scheme or authority: a secret never picks the host a request goes to. */
export function refInOrigin(url: string): boolean {
  return split(url).origin.includes('${');
}

/** The URL with every `${NAME}` replaced by `values[NAME]`, URL-encoded; a name without a value throws. */
export function resolveUrl(server: string, url: string, values: Record<string, string>): string {
  const missing = urlRefs(url).filter((r) => !values[r]);
  if (missing.length) throw missingSecret(server, 'its URL', missing);
  const p = split(url);
  return p.origin + url.slice(p.origin.length).replace(REF, (_, r: string) => encodeURIComponent(values[r]));
}

/**
 * What is recorded or said of a URL: the value of each query parameter named like a credential (`api_key`, `token`,
 * `sig`…) and written literally becomes `sha256:` and 16 hex digits of its digest (`${NAME}` templates hold no value
 * and stay). A secret in the path cannot be told from a path: put it there as `${NAME}` (docs/mcp.md).
 */
export function shownUrl(url: string): string {
  const p = split(url);
  if (p.query === undefined) return url;
  return join(
    p,
    credentialPairs(p.query, (k, _name, value) => `${k}=sha256:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`),
  );
}

/**
 * The query's `name=value` pairs, each one whose value is written literally under a credential's name replaced by
 * `swap(raw name, decoded name, decoded value)`; the rest as they are.
 */
function credentialPairs(query: string, swap: (k: string, name: string, value: string) => string): string[] {
  return query.split('&').map((pair) => {
    const i = pair.indexOf('=');
    if (i < 0) return pair;
    const [k, v] = [pair.slice(0, i), pair.slice(i + 1)];
    const name = decode(k);
    return !v || v.includes('${') || !credential(name) ? pair : swap(k, name, decode(v));
  });
}

export interface TemplatedUrl {
  url: string;
  /** Secret names the URL now uses. */
  secrets: string[];
  /** Literal credentials taken out: query parameter → the secret that now holds its value. */
  replaced: Record<string, string>;
  /** Those values, for `airlock mcp add` to keep in the keychain (never written to a file). */
  values: Record<string, string>;
  /** Why it cannot be taken (a variable Airlock does not expand, a variable in the host). */
  skipped?: string;
}

/**
 * A URL as Airlock stores it: another client's variables (`vscode`: `.vscode/mcp.json`'s `${input:ID}`, `${env:NAME}`;
 * else also Claude Code's `${NAME}` and `${NAME:-default}`) become `${NAME}` secrets, and each credential-named query
 * parameter's literal value is taken out into a secret named after the parameter (`api_key` → `API_KEY`).
 */
export function templateUrl(raw: string, vscode: boolean): TemplatedUrl {
  const out: TemplatedUrl = { url: raw, secrets: [], replaced: {}, values: {} };
  const t = templateVariables(raw, vscode);
  if (t.unknown) return { ...out, skipped: `its URL uses ${t.unknown}, which Airlock does not expand` };
  if (refInOrigin(t.text)) return { ...out, skipped: 'its URL has a variable in its host' };
  const p = split(t.text);
  const pairs =
    p.query === undefined
      ? undefined
      : credentialPairs(p.query, (k, name, value) => {
          const secret = secretName(name.toUpperCase());
          out.replaced[name] = secret;
          out.values[secret] = value;
          return `${k}=\${${secret}}`;
        });
  out.url = join(p, pairs);
  out.secrets = urlRefs(out.url);
  return out;
}

/** Refused at `mcp/configure` too: a token in a URL crosses the relay sandbox and the proxy in clear over http. */
export function urlSecretsOverHttp(url: string): boolean {
  return urlRefs(url).length > 0 && !url.startsWith('https://');
}

export function urlSecretRefused(server: string): AirlockError {
  return new AirlockError(
    'MCP_HEADER_INVALID',
    `MCP server ${server}: a secret in its URL is sent over https only`,
    'use its https:// URL (a token is never sent in clear)',
  );
}
