// Where the provider endpoint forwards, and how: each vendor's base URL and key header, the request path mapped under
// the base path, and the headers a sandbox may not set (any key it sends is dropped; the kernel adds the real one).
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { ProviderName } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import { parseAuthority, type Target } from './target';

/** The provider a sandbox's task uses: what the person configured (provider/configure, task/start). */
export interface ProviderUpstream {
  vendor: ProviderName;
  baseUrl?: string;
  apiKey?: string;
}

/** Where each vendor's SDK goes when no base URL is configured (the same defaults the SDKs have). */
export const DEFAULT_BASE_URLS: Partial<Record<ProviderName, string>> = {
  openai: 'https://api.openai.com/v1',
  'openai-responses': 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  google: 'https://generativelanguage.googleapis.com',
};

/** The header each vendor reads its key from. */
export function keyHeader(vendor: ProviderName, key: string): [string, string] | undefined {
  switch (vendor) {
    case 'openai':
    case 'openai-responses':
    case 'openai-compatible':
      return ['authorization', `Bearer ${key}`];
    case 'anthropic':
      return ['x-api-key', key];
    case 'google':
      return ['x-goog-api-key', key];
    case 'replay':
    case 'vscode-lm':
      return undefined;
    default: {
      const never: never = vendor;
      throw new Error(`unknown provider ${String(never)}`);
    }
  }
}

export interface ResolvedUpstream {
  url: URL;
  target: Target;
  tls: boolean;
  header?: [string, string];
}

export function providerError(message: string, hint?: string): AirlockError {
  return new AirlockError('EGRESS_PROVIDER', message, hint ?? 'check the provider and base URL (docs/network.md, "The provider endpoint")');
}

/** The configured base URL, checked: http(s) only, no user information, query or fragment, a host we can judge. */
export function resolveUpstream(u: ProviderUpstream): ResolvedUpstream {
  if (u.vendor === 'replay') throw providerError('the replay provider makes no network calls');
  const base = u.baseUrl ?? DEFAULT_BASE_URLS[u.vendor];
  if (!base) throw providerError(`provider ${u.vendor} has no base URL configured`);
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw providerError(`the base URL ${JSON.stringify(base)} of ${u.vendor} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw providerError(`the base URL of ${u.vendor} is not http(s)`);
  if (url.username || url.password || url.search || url.hash) {
    throw providerError(
      `the base URL of ${u.vendor} carries user information, a query or a fragment`,
      'give only scheme, host, port and path',
    );
  }
  const tls = url.protocol === 'https:';
  const t = parseAuthority(url.host, tls ? 443 : 80);
  if (!t.ok) throw providerError(`the base URL host of ${u.vendor} is refused: ${t.reason}`);
  return { url, target: t.target, tls, header: u.apiKey ? keyHeader(u.vendor, u.apiKey) : undefined };
}

/**
 * The upstream path for a request the sandbox sent to the endpoint: its path under the base URL's path. Refused
 * (undefined): anything but an absolute path, dot segments, backslashes, encoded slashes or dots, empty segments.
 * A `key` query parameter (Gemini's other way to pass a key) is dropped.
 */
export function upstreamPath(base: URL, requestUrl: string): string | undefined {
  if (!requestUrl.startsWith('/') || requestUrl.startsWith('//') || requestUrl.length > 8192) return undefined;
  const [rawPath, ...q] = requestUrl.split('?');
  if (/[\\\x00-\x20\x7f-\uffff#]/.test(requestUrl) || /%(2e|2f|5c|00)/i.test(rawPath) || /\/\//.test(rawPath)) return undefined;
  if (rawPath.split('/').some((s) => s === '.' || s === '..')) return undefined;
  const query = new URLSearchParams(q.join('?'));
  query.delete('key');
  const qs = query.toString();
  return `${base.pathname.replace(/\/+$/, '')}${rawPath}${qs ? `?${qs}` : ''}`;
}

/** Hop-by-hop and identity headers a sandbox may not pass upstream; its own key headers above all. */
const DROP_REQUEST = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'authorization',
  'x-api-key',
  'x-goog-api-key',
  'api-key',
  'cookie',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'expect',
]);
/** Marks an answer the provider endpoint gave itself (a refusal): never passed on from upstream, so it cannot be faked. */
export const EGRESS_REFUSED_HEADER = 'x-airlock-egress';

const DROP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'trailer',
  'set-cookie',
  'alt-svc',
  'strict-transport-security',
  EGRESS_REFUSED_HEADER,
]);

/** The sandbox's headers minus what it may not set, plus the upstream host, the body's length and the key. */
export function upstreamHeaders(h: IncomingHttpHeaders, up: ResolvedUpstream, bodyBytes: number): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !DROP_REQUEST.has(k.toLowerCase())) out[k] = v;
  out.host = up.url.host;
  if (bodyBytes) out['content-length'] = String(bodyBytes);
  if (up.header) out[up.header[0]] = up.header[1];
  return out;
}

export function downstreamHeaders(h: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !DROP_RESPONSE.has(k.toLowerCase())) out[k] = v;
  return out;
}
