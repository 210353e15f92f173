// Turns whatever an SDK throws into an AirlockError that says whether to retry and how long the vendor asked us to wait.
import { AirlockError, ErrorCodes, isAbortError } from '../../../../protocol/src/errors';
import { EGRESS_REFUSED_HEADER } from '../../egress/provider-upstream';

export const ProviderErrorCodes = {
  RateLimited: 'PROVIDER_RATE_LIMITED',
  Unavailable: 'PROVIDER_UNAVAILABLE',
  Connection: 'PROVIDER_CONNECTION',
  Auth: 'PROVIDER_AUTH',
  Rejected: 'PROVIDER_REJECTED',
  StreamCut: 'PROVIDER_STREAM_CUT',
  BadResponse: 'PROVIDER_BAD_RESPONSE',
  /** The kernel's provider endpoint refused the request (policy, no provider configured, audit log down). */
  EgressRefused: 'PROVIDER_EGRESS_REFUSED',
} as const;

export interface ProviderErrorDetails {
  status?: number;
  retryable: boolean;
  retryAfterMs?: number;
  vendor: string;
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
]);

/** Parses Retry-After (seconds or HTTP date) and retry-after-ms; returns milliseconds or undefined. */
export function parseRetryAfter(get: (name: string) => string | null | undefined, now = Date.now()): number | undefined {
  const ms = get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  const v = get('retry-after')?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

function headerGetter(h: unknown): (name: string) => string | null | undefined {
  if (h && typeof (h as Headers).get === 'function') return (n) => (h as Headers).get(n);
  if (h && typeof h === 'object') return (n) => (h as Record<string, string>)[n];
  return () => undefined;
}

function causeCode(err: unknown): string | undefined {
  // An SDK wraps the socket error in `cause` (sometimes twice): look a few levels down.
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return e.code;
  }
  return undefined;
}

/** Classifies an SDK error. `retryAfterMs` may be supplied by adapters that capture headers themselves (Gemini). */
export function toProviderError(err: unknown, vendor: string, retryAfterMs?: number): AirlockError {
  if (err instanceof AirlockError && (err.details as ProviderErrorDetails | undefined)?.vendor) return err;
  if (isAbortError(err))
    return err instanceof AirlockError ? err : new AirlockError(ErrorCodes.Cancelled, `${vendor} request was cancelled`);
  const e = err as { status?: unknown; headers?: unknown; message?: string; name?: string };
  const status = typeof e?.status === 'number' ? e.status : undefined;
  const message = (e?.message ?? String(err)).slice(0, 2000);
  const details = (retryable: boolean, extra: Partial<ProviderErrorDetails> = {}): ProviderErrorDetails => ({
    status,
    retryable,
    vendor,
    retryAfterMs: retryAfterMs ?? parseRetryAfter(headerGetter(e?.headers)),
    ...extra,
  });
  if (status !== undefined && headerGetter(e?.headers)(EGRESS_REFUSED_HEADER)) {
    // Not the vendor: the kernel's provider endpoint said no (its message names the rule a local server needs).
    return new AirlockError(
      ProviderErrorCodes.EgressRefused,
      `the kernel refused the ${vendor} request (${status}): ${message}`,
      'a rule of the task\'s policy refuses this server, or its address is link-local/metadata (those need a rule allowing net.connect and net.private on host:port): docs/network.md, "Which hosts"',
      details(false),
    );
  }
  if (status === 429)
    return new AirlockError(
      ProviderErrorCodes.RateLimited,
      `${vendor} rate limit: ${message}`,
      'Airlock retries with backoff; lower parallelism or raise your quota if this persists',
      details(true),
    );
  if (status === 408 || status === 409 || (status !== undefined && status >= 500)) {
    return new AirlockError(
      ProviderErrorCodes.Unavailable,
      `${vendor} server error ${status}: ${message}`,
      'the provider is having trouble; Airlock retries a few times',
      details(true),
    );
  }
  if (status === 401 || status === 403) {
    return new AirlockError(
      ProviderErrorCodes.Auth,
      `${vendor} refused the API key (${status}): ${message}`,
      'check the key in your OS keychain / VS Code SecretStorage or the environment variable (never settings files)',
      details(false),
    );
  }
  if (status !== undefined && status >= 400)
    return new AirlockError(
      ProviderErrorCodes.Rejected,
      `${vendor} rejected the request (${status}): ${message}`,
      undefined,
      details(false),
    );
  const code = causeCode(err);
  if (code || e?.name === 'APIConnectionError' || /fetch failed|socket hang up|terminated|ECONNRESET|other side closed/i.test(message)) {
    return new AirlockError(
      ProviderErrorCodes.Connection,
      `${vendor} connection failed${code ? ` (${code})` : ''}: ${message}`,
      'check the network / base URL; Airlock retries connection resets',
      details(true),
    );
  }
  return new AirlockError(ProviderErrorCodes.BadResponse, `${vendor}: ${message}`, undefined, details(false));
}

export function isRetryable(err: unknown): boolean {
  return err instanceof AirlockError && (err.details as ProviderErrorDetails | undefined)?.retryable === true;
}

export function retryAfterOf(err: unknown): number | undefined {
  return err instanceof AirlockError ? (err.details as ProviderErrorDetails | undefined)?.retryAfterMs : undefined;
}
