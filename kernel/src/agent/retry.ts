// Bounded retry with jittered exponential backoff that honours Retry-After; every retry is reported to a logger.
import type { StreamEvent } from '../../../protocol/src/agent';
import { AirlockError, cancelledError } from '../../../protocol/src/errors';
import { isRetryable, retryAfterOf } from './providers/errors';
import type { IProvider, ProviderRequest } from './providers/types';

export interface RetryInfo {
  attempt: number;
  delayMs: number;
  reason: string;
  code: string;
  discardPartial: boolean;
}

export interface RetryOptions {
  /** Total attempts including the first. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error is surfaced instead. */
  maxRetryAfterMs: number;
  random: () => number;
  onRetry: (info: RetryInfo) => void;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 60_000,
  random: Math.random,
  onRetry: () => {},
};

/** "Full jitter" backoff (AWS architecture blog) raised to at least the server's Retry-After. */
export function backoffDelay(
  attempt: number,
  o: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
  retryAfterMs?: number,
): number {
  const cap = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(cap / 2 + o.random() * (cap / 2));
  return retryAfterMs !== undefined ? Math.max(retryAfterMs, jittered) : jittered;
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? cancelledError());
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason ?? cancelledError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Decides whether attempt `attempt` (1-based, just failed with `err`) gets another try, and after how long. */
function nextDelay(err: unknown, attempt: number, o: RetryOptions): number | undefined {
  if (!isRetryable(err) || attempt >= o.maxAttempts) return undefined;
  const ra = retryAfterOf(err);
  if (ra !== undefined && ra > o.maxRetryAfterMs) return undefined;
  return backoffDelay(attempt, o, ra);
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: Partial<RetryOptions>, signal: AbortSignal): Promise<T> {
  const o = { ...DEFAULT_RETRY, ...opts };
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err;
      const delay = nextDelay(err, attempt, o);
      if (delay === undefined) throw err;
      o.onRetry({
        attempt,
        delayMs: delay,
        reason: (err as Error).message,
        code: (err as { code?: string }).code ?? 'UNKNOWN',
        discardPartial: false,
      });
      await sleep(delay, signal);
    }
  }
}

/**
 * A provider wrapper that retries a turn: errors thrown before any event are retried transparently; a retryable `error`
 * event after partial output (a stream cut mid-way) restarts the turn and tells the consumer to discard what it got.
 */
export class RetryingProvider implements IProvider {
  readonly name: string;
  constructor(
    private readonly inner: IProvider,
    private readonly opts: Partial<RetryOptions> = {},
  ) {
    this.name = inner.name;
  }

  async *stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    const o = { ...DEFAULT_RETRY, ...this.opts };
    for (let attempt = 1; ; attempt++) {
      let produced = false;
      let failure: { err: unknown; event?: StreamEvent } | undefined;
      try {
        for await (const ev of this.inner.stream(request, signal)) {
          if (ev.type === 'error' && ev.retryable) {
            failure = { err: errorFromEvent(ev), event: ev };
            break;
          }
          produced = true;
          yield ev;
        }
      } catch (err) {
        if (signal.aborted) throw signal.reason ?? err;
        failure = { err };
      }
      if (!failure) return;
      const delay = nextDelay(failure.err, attempt, o);
      if (delay === undefined) {
        if (failure.event) {
          yield failure.event;
          return;
        }
        throw failure.err;
      }
      o.onRetry({
        attempt,
        delayMs: delay,
        reason: (failure.err as Error).message,
        code: (failure.err as { code?: string }).code ?? 'UNKNOWN',
        discardPartial: produced,
      });
      await sleep(delay, signal);
    }
  }
}

function errorFromEvent(ev: Extract<StreamEvent, { type: 'error' }>): Error {
  const d = (ev.error.details ?? {}) as Record<string, unknown>;
  return new AirlockError(ev.error.code, ev.error.message, ev.error.hint, {
    ...d,
    retryable: ev.retryable,
    vendor: d.vendor ?? 'provider',
  });
}
