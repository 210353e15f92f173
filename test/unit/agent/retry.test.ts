// Retry strategy: jittered exponential backoff, Retry-After (seconds, ms, HTTP date), bounds, no retry on 4xx, abort.
import { strict as assert } from 'node:assert';
import { AirlockError } from '../../../protocol/src/errors';
import { parseRetryAfter, toProviderError } from '../../../kernel/src/agent/providers/errors';
import { backoffDelay, type RetryInfo, withRetry } from '../../../kernel/src/agent/retry';

const h = (o: Record<string, string>) => (n: string) => o[n];

describe('agent retry', () => {
  it('parses Retry-After as seconds, retry-after-ms, and an HTTP date', () => {
    assert.equal(parseRetryAfter(h({ 'retry-after': '2' })), 2000);
    assert.equal(parseRetryAfter(h({ 'retry-after-ms': '150', 'retry-after': '9' })), 150);
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter(h({ 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' }), now), 7000);
    assert.equal(parseRetryAfter(h({ 'retry-after': 'soon' })), undefined);
  });

  it('backs off exponentially with jitter inside [cap/2, cap], capped, and never below Retry-After', () => {
    const o = { baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(backoffDelay(1, { ...o, random: () => 0 }), 50);
    assert.equal(backoffDelay(1, { ...o, random: () => 1 }), 100);
    assert.equal(backoffDelay(3, { ...o, random: () => 1 }), 400);
    assert.equal(backoffDelay(10, { ...o, random: () => 1 }), 1000);
    assert.equal(backoffDelay(1, { ...o, random: () => 0 }, 700), 700);
  });

  it('classifies statuses and connection resets', () => {
    const st = (status: number) => toProviderError(Object.assign(new Error('x'), { status }), 'v');
    assert.equal(st(429).code, 'PROVIDER_RATE_LIMITED');
    assert.equal(st(502).code, 'PROVIDER_UNAVAILABLE');
    assert.equal(st(401).code, 'PROVIDER_AUTH');
    assert.equal(st(404).code, 'PROVIDER_REJECTED');
    const reset = toProviderError(
      new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }),
      'v',
    );
    assert.equal(reset.code, 'PROVIDER_CONNECTION');
    assert.equal((reset.details as { retryable: boolean }).retryable, true);
  });

  it('retries retryable errors up to the bound, reporting each retry', async () => {
    const seen: RetryInfo[] = [];
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw toProviderError(Object.assign(new Error('busy'), { status: 503 }), 'v');
        },
        { maxAttempts: 3, baseDelayMs: 1, onRetry: (r) => seen.push(r) },
        new AbortController().signal,
      ),
      /busy/,
    );
    assert.equal(calls, 3);
    assert.deepEqual(
      seen.map((r) => r.attempt),
      [1, 2],
    );
  });

  it('does not retry other 4xx or unknown errors', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw toProviderError(Object.assign(new Error('bad'), { status: 422 }), 'v');
        },
        { baseDelayMs: 1 },
        new AbortController().signal,
      ),
    );
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw new Error('boom');
        },
        { baseDelayMs: 1 },
        new AbortController().signal,
      ),
    );
    assert.equal(calls, 2);
  });

  it('gives up instead of waiting when Retry-After exceeds the bound', async () => {
    let calls = 0;
    const err = new AirlockError('PROVIDER_RATE_LIMITED', 'wait an hour', undefined, {
      retryable: true,
      retryAfterMs: 3_600_000,
      vendor: 'v',
    });
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw err;
        },
        { maxRetryAfterMs: 60_000 },
        new AbortController().signal,
      ),
      /wait an hour/,
    );
    assert.equal(calls, 1);
  });

  it('an abort during the backoff sleep ends at once', async () => {
    const ac = new AbortController();
    const t = Date.now();
    setTimeout(() => ac.abort(new Error('stopped')), 30);
    await assert.rejects(
      withRetry(
        async () => {
          throw toProviderError(Object.assign(new Error('busy'), { status: 503 }), 'v');
        },
        { baseDelayMs: 10_000, random: () => 1 },
        ac.signal,
      ),
      /stopped/,
    );
    assert.ok(Date.now() - t < 1000);
  });
});
