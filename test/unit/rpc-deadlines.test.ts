// No request can hang: malformed replies end their request, and every request has a deadline unless it gives one.
import * as assert from 'node:assert/strict';
import { DEFAULT_REQUEST_TIMEOUT_MS, defaultTimeoutMs, HANDSHAKE_TIMEOUT_MS } from '../../protocol/src/deadlines';
import { type AirlockError, ErrorCodes } from '../../protocol/src/errors';
import { PROTOCOL_VERSION } from '../../protocol/src/messages';
import { RpcClient } from '../../protocol/src/rpc-client';
import { ServerConnection } from '../../protocol/src/rpc-server';
import { createInProcessPair, type ITransport } from '../../protocol/src/transport';

/** A client whose peer is a raw transport the test speaks for (a kernel that misbehaves). */
function rawPeer(): { client: RpcClient; peer: ITransport; seen: Array<{ type: string; id?: string }> } {
  const [c, s] = createInProcessPair();
  const seen: Array<{ type: string; id?: string }> = [];
  s.onMessage((m) => seen.push(m as { type: string; id?: string }));
  return { client: new RpcClient(c), peer: s, seen };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as AirlockError).code;
  }
  return 'resolved';
}

/** Runs `fn` with timers of `ms` shortened to 10 ms, so a 30 s default can be observed in a unit test. */
async function withShortTimer<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const real = globalThis.setTimeout;
  globalThis.setTimeout = ((cb: () => void, delay?: number, ...rest: unknown[]) =>
    real(cb, delay === ms ? 10 : delay, ...rest)) as typeof setTimeout;
  try {
    return await fn();
  } finally {
    globalThis.setTimeout = real;
  }
}

describe('rpc deadlines and malformed replies', function () {
  this.timeout(3000);

  it('a response that fails validation rejects its pending request at once', async () => {
    const { client, peer, seen } = rawPeer();
    const p = client.request('kernel/ping', {}, { timeoutMs: 60_000 });
    await tick();
    const id = seen.find((m) => m.type === 'request')!.id!;
    peer.send({ type: 'response', id, ok: 'yes', result: 1 });
    assert.equal(await codeOf(p), ErrorCodes.BadMessage);
  });

  it('a malformed error for a pending id rejects it too; one for an unknown id changes nothing', async () => {
    const { client, peer, seen } = rawPeer();
    const p = client.request('kernel/ping', {}, { timeoutMs: 60_000 });
    await tick();
    const id = seen.find((m) => m.type === 'request')!.id!;
    peer.send({ type: 'error', id: 'nobody', error: { code: 7 } });
    peer.send(null);
    peer.send([1, 2]);
    peer.send({ type: 'error', id, error: { code: '' } });
    assert.equal(await codeOf(p), ErrorCodes.BadMessage);
  });

  it('a malformed welcome fails the handshake instead of hanging', async () => {
    const { client, peer } = rawPeer();
    const h = client.handshake({ name: 't', version: '1' }, undefined, { timeoutMs: 60_000 });
    await tick();
    peer.send({ type: 'welcome', protocol: PROTOCOL_VERSION, kernel: { version: 1 } });
    assert.equal(await codeOf(h), ErrorCodes.BadMessage);
  });

  it('a request without a timeout gets the default deadline and is cancelled on the server', async () => {
    const [c, s] = createInProcessPair();
    let serverSawAbort = false;
    new ServerConnection(s, {
      kernel: { version: 't', pid: 1, startedAt: 0 },
      handlers: {
        'fs/read': (_p, ctx) =>
          new Promise((_r, rej) =>
            ctx.signal.addEventListener('abort', () => {
              serverSawAbort = true;
              rej(ctx.signal.reason);
            }),
          ),
      },
    });
    const client = new RpcClient(c);
    await client.handshake({ name: 't', version: '1' });
    const err = await withShortTimer(DEFAULT_REQUEST_TIMEOUT_MS, () =>
      client.request('fs/read', { path: 'a' }).catch((e: AirlockError) => e),
    );
    assert.equal((err as AirlockError).code, ErrorCodes.Timeout);
    assert.match((err as AirlockError).message, new RegExp(`after ${DEFAULT_REQUEST_TIMEOUT_MS} ms`));
    await tick();
    assert.ok(serverSawAbort, 'the server was not told to cancel');
  });

  it('the handshake has a default deadline', async () => {
    const { client } = rawPeer();
    const code = await withShortTimer(HANDSHAKE_TIMEOUT_MS, () => codeOf(client.handshake({ name: 't', version: '1' })));
    assert.equal(code, ErrorCodes.Timeout);
  });

  it('cancellation still works with the default deadline in place', async () => {
    const { client } = rawPeer();
    const ac = new AbortController();
    const p = client.request('kernel/ping', {}, { signal: ac.signal });
    setTimeout(() => ac.abort(), 5);
    assert.equal(await codeOf(p), ErrorCodes.Cancelled);
  });

  it('long methods default to a deadline that covers their own timeout', () => {
    assert.equal(defaultTimeoutMs('kernel/ping', {}), DEFAULT_REQUEST_TIMEOUT_MS);
    assert.ok(defaultTimeoutMs('sandbox/exec', { id: 'x', argv: ['a'], timeoutMs: 3_600_000 }) > 3_600_000);
    assert.ok(defaultTimeoutMs('sandbox/exec', { id: 'x', argv: ['a'] }) >= 30 * 60_000);
    assert.ok(defaultTimeoutMs('workflow/transition', { sessionId: 's', to: 'green' } as never) > 10 * 60_000);
  });
});
