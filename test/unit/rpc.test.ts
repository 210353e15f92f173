// Typed RPC over the in-process transport: handshake, validation both ways, cancellation, events, limits.
import * as assert from 'node:assert/strict';
import { AirlockError, ErrorCodes } from '../../protocol/src/errors';
import { PROTOCOL_VERSION } from '../../protocol/src/messages';
import { RpcClient } from '../../protocol/src/rpc-client';
import { type HandlerMap, ServerConnection } from '../../protocol/src/rpc-server';
import { createInProcessPair, type ITransport } from '../../protocol/src/transport';

const KERNEL = { version: 'test', pid: 1, startedAt: 0 };

function setup(handlers: HandlerMap, authorize?: (h: { token?: string }) => void) {
  const [c, s] = createInProcessPair();
  const server = new ServerConnection(s, { handlers, kernel: KERNEL, authorize });
  const client = new RpcClient(c);
  return { client, server, raw: c };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<AirlockError> {
  try {
    await p;
  } catch (e) {
    assert.equal((e as AirlockError).code, code, (e as Error).message);
    return e as AirlockError;
  }
  assert.fail(`expected ${code}`);
}

describe('rpc', () => {
  it('handshakes and answers a typed request', async () => {
    const { client } = setup({ 'kernel/ping': (p) => ({ pong: true, nonce: p.nonce, time: 1 }) });
    const w = await client.handshake({ name: 't', version: '1' });
    assert.equal(w.protocol, PROTOCOL_VERSION);
    assert.deepEqual(await client.request('kernel/ping', { nonce: 'n' }), { pong: true, nonce: 'n', time: 1 });
  });

  it('refuses requests before hello and closes', async () => {
    const { client } = setup({ 'kernel/ping': () => ({ pong: true, time: 1 }) });
    await rejectsWith(client.request('kernel/ping', {}), ErrorCodes.Unauthorized);
  });

  it('reports a protocol mismatch with a hint', async () => {
    const [c, s] = createInProcessPair();
    new ServerConnection(s, { handlers: {}, kernel: KERNEL });
    const got = new Promise<unknown>((r) => c.onMessage(r));
    c.send({ type: 'hello', protocol: PROTOCOL_VERSION + 1, client: { name: 'old', version: '0' } });
    const msg = (await got) as { type: string; error: { code: string; hint?: string } };
    assert.equal(msg.type, 'error');
    assert.equal(msg.error.code, ErrorCodes.ProtocolMismatch);
    assert.match(msg.error.hint ?? '', /same Airlock version/);
  });

  it('rejects a wrong token through authorize', async () => {
    const { client } = setup({}, (h) => {
      if (h.token !== 'secret') throw new AirlockError(ErrorCodes.Unauthorized, 'bad token');
    });
    await rejectsWith(client.handshake({ name: 't', version: '1' }, 'nope'), ErrorCodes.Unauthorized);
  });

  it('validates params on the client and on the server', async () => {
    const { client, raw } = setup({
      'fs/read': () => {
        throw new Error('must not run');
      },
    });
    await client.handshake({ name: 't', version: '1' });
    await rejectsWith(client.request('fs/read', { path: '' }), ErrorCodes.BadParams);
    const reply = new Promise<unknown>((r) =>
      raw.onMessage((m) => {
        if ((m as { id?: string }).id === 'x1') r(m);
      }),
    );
    raw.send({ type: 'request', id: 'x1', method: 'fs/read', params: { path: 42 } });
    assert.equal(((await reply) as { error: { code: string } }).error.code, ErrorCodes.BadParams);
  });

  it('answers unknown methods and malformed envelopes without dying', async () => {
    const { client, raw } = setup({ 'kernel/ping': () => ({ pong: true, time: 1 }) });
    await client.handshake({ name: 't', version: '1' });
    const replies: unknown[] = [];
    raw.onMessage((m) => replies.push(m));
    raw.send({ type: 'request', id: 'u', method: 'no/such', params: {} });
    raw.send({ type: 'bogus' });
    raw.send('just a string');
    raw.send({ type: 'request', id: 'x'.repeat(500), method: 'kernel/ping', params: {} });
    await new Promise((r) => setTimeout(r, 10));
    const codes = replies.map((r) => (r as { error?: { code: string } }).error?.code);
    assert.deepEqual(codes, [ErrorCodes.UnknownMethod, ErrorCodes.BadMessage, ErrorCodes.BadMessage, ErrorCodes.BadMessage]);
    assert.equal((await client.request('kernel/ping', {})).pong, true);
  });

  it('rejects a handler result that does not match the schema', async () => {
    const { client } = setup({ 'kernel/ping': () => ({ pong: false }) as never });
    await client.handshake({ name: 't', version: '1' });
    await rejectsWith(client.request('kernel/ping', {}), ErrorCodes.BadResult);
  });

  it('cancels: the handler sees its signal abort and the caller gets RPC_CANCELLED', async () => {
    let sawAbort!: () => void;
    const aborted = new Promise<void>((r) => (sawAbort = r));
    const { client } = setup({
      'fs/read': (_p, ctx) =>
        new Promise((_res, rej) =>
          ctx.signal.addEventListener('abort', () => {
            sawAbort();
            rej(ctx.signal.reason);
          }),
        ),
    });
    await client.handshake({ name: 't', version: '1' });
    const ac = new AbortController();
    const p = client.request('fs/read', { path: 'a' }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 5);
    await rejectsWith(p, ErrorCodes.Cancelled);
    await aborted;
  });

  it('times out with a clear error', async () => {
    const { client } = setup({ 'fs/read': () => new Promise(() => {}) });
    await client.handshake({ name: 't', version: '1' });
    const e = await rejectsWith(client.request('fs/read', { path: 'a' }, { timeoutMs: 20 }), ErrorCodes.Timeout);
    assert.match(e.message, /timed out after 20 ms/);
  });

  it('delivers validated events and drops malformed ones', async () => {
    const { client, server } = setup({});
    await client.handshake({ name: 't', version: '1' });
    const got: string[] = [];
    client.onEvent('kernel/log', (d) => got.push(d.message));
    server.emit('kernel/log', { level: 'info', message: 'one' });
    (server.transport as ITransport).send({ type: 'event', event: 'kernel/log', data: { level: 'loud', message: 'bad' } });
    server.emit('kernel/log', { level: 'warn', message: 'two' });
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(got, ['one', 'two']);
  });

  it('fails pending requests when the connection closes', async () => {
    const { client, server } = setup({ 'fs/read': () => new Promise(() => {}) });
    await client.handshake({ name: 't', version: '1' });
    const p = client.request('fs/read', { path: 'a' });
    setTimeout(() => server.dispose(), 5);
    await rejectsWith(p, ErrorCodes.ConnectionClosed);
  });
});
