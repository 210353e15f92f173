// Unauthenticated peers cost nothing: 300 sockets announcing 8 MiB frames, silent sockets, pipelined hellos.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { SOCKET_NAME, TOKEN_NAME } from '../../../kernel/src/config';
import { encodeFrame, FrameReader } from '../../../protocol/src/frame';
import { PROTOCOL_VERSION } from '../../../protocol/src/messages';
import { connectSocket } from '../../../protocol/src/node/socket-transport';
import { RpcClient } from '../../../protocol/src/rpc-client';

interface Server {
  child: ChildProcess;
  dir: string;
  socket: string;
  token: string;
}

async function startServer(env: Record<string, string> = {}): Promise<Server> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-preauth-'));
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'preauth-server.ts'), dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, dir, socket: path.join(dir, SOCKET_NAME), token: fs.readFileSync(path.join(dir, TOKEN_NAME), 'utf8') };
}

function stopServer(s: Server): void {
  s.child.kill('SIGKILL');
  fs.rmSync(s.dir, { recursive: true, force: true });
}

/** Resident and peak resident memory of a process, in bytes. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(st)![1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

async function authedClient(s: Server): Promise<RpcClient> {
  const client = new RpcClient(await connectSocket(s.socket));
  await client.handshake({ name: 'test', version: '0' }, s.token);
  return client;
}

function rawSocket(s: Server): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection({ path: s.socket });
    sock.on('error', () => {
      /* the server hangs up on us: expected */
    });
    sock.resume(); // read (and drop) whatever the server says, so its hang-up is seen
    sock.once('connect', () => resolve(sock));
    sock.once('error', reject);
  });
}

const closed = (sock: net.Socket) => new Promise<void>((r) => (sock.destroyed ? r() : sock.once('close', () => r())));

describe('kernel socket before authentication', function () {
  this.timeout(60_000);
  let server: Server | undefined;
  afterEach(() => {
    if (server) stopServer(server);
    server = undefined;
  });

  it('300 sockets announcing 8 MiB frames do not grow the server, and an authenticated client is still answered', async () => {
    server = await startServer();
    const client = await authedClient(server);
    await client.request('kernel/ping', {});
    const before = memoryOf(server.child.pid!);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(8 * 1024 * 1024);
    const body = Buffer.alloc(512 * 1024, 'a');
    const socks = await Promise.all(Array.from({ length: 300 }, () => rawSocket(server!)));
    for (const sock of socks) {
      sock.write(header);
      sock.write(body);
    }
    // Pings answered while the flood lands.
    for (let i = 0; i < 5; i++)
      assert.equal((await client.request('kernel/ping', { nonce: String(i) }, { timeoutMs: 5000 })).nonce, String(i));
    await Promise.all(socks.map(closed));
    const after = memoryOf(server.child.pid!);
    const grew = after.hwm - before.rss;
    process.stdout.write(
      `      server peak memory: ${(before.rss / 1048576).toFixed(1)} MiB before, ${(after.hwm / 1048576).toFixed(1)} MiB peak\n`,
    );
    assert.ok(grew < 48 * 1024 * 1024, `server peak memory grew by ${(grew / 1048576).toFixed(1)} MiB`);
    assert.equal((await client.request('kernel/ping', { nonce: 'end' })).nonce, 'end');
    client.dispose();
  });

  it('a silent connection is closed after the handshake deadline', async () => {
    server = await startServer({ PREAUTH_TIMEOUT_MS: '400' });
    const sock = await rawSocket(server);
    const t0 = Date.now();
    await closed(sock);
    const took = Date.now() - t0;
    assert.ok(took >= 300 && took < 5000, `closed after ${took} ms`);
  });

  it('beyond the cap the oldest waiting peers are closed at once; a client saying hello still gets in', async () => {
    server = await startServer({ PREAUTH_MAX: '8', PREAUTH_TIMEOUT_MS: '30000' });
    const socks: net.Socket[] = [];
    for (let i = 0; i < 12; i++) socks.push(await rawSocket(server));
    await Promise.all(socks.slice(0, 4).map(closed));
    const client = await authedClient(server);
    assert.equal((await client.request('kernel/ping', { nonce: 'in' })).nonce, 'in');
    client.dispose();
    for (const s of socks) s.destroy();
  });

  it('a frame over the pre-auth limit is refused before hello, but the same frame after hello is served', async () => {
    server = await startServer();
    const big = { type: 'request', id: '1', method: 'kernel/ping', params: { nonce: 'big', pad: 'p'.repeat(16 * 1024) } };
    // Even a hello with the right token is refused when its frame is over the pre-auth limit.
    const early = await rawSocket(server);
    const earlyReader = new FrameReader();
    const earlyGot: string[] = [];
    early.on('data', (b: Buffer) => {
      for (const r of earlyReader.push(b)) if (r.type === 'message') earlyGot.push((r.value as { type: string }).type);
    });
    early.write(
      encodeFrame({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        client: { name: 't', version: '0' },
        token: server.token,
        pad: 'p'.repeat(16 * 1024),
      }),
    );
    await closed(early);
    assert.ok(!earlyGot.includes('welcome'), `an oversized hello was welcomed: ${earlyGot.join(', ')}`);
    // Hello and the big request in one write: the limit rises as soon as the hello is accepted.
    const sock = await rawSocket(server);
    const reader = new FrameReader();
    const got: Array<{ type: string; result?: { nonce?: string } }> = [];
    sock.on('data', (b: Buffer) => {
      for (const r of reader.push(b)) if (r.type === 'message') got.push(r.value as never);
    });
    sock.write(
      Buffer.concat([
        encodeFrame({ type: 'hello', protocol: PROTOCOL_VERSION, client: { name: 't', version: '0' }, token: server.token }),
        encodeFrame(big),
      ]),
    );
    for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      got.map((m) => m.type),
      ['welcome', 'response'],
    );
    assert.equal(got[1]!.result?.nonce, 'big');
    sock.destroy();
  });

  it('a peer that sends garbage before hello gets one error and is closed', async () => {
    server = await startServer({ PREAUTH_TIMEOUT_MS: '30000' });
    const sock = await rawSocket(server);
    for (let i = 0; i < 50; i++) sock.write(encodeFrame({ type: 'nonsense', i }));
    const reader = new FrameReader();
    let frames = 0;
    sock.on('data', (b: Buffer) => {
      frames += reader.push(b).length;
    });
    await closed(sock);
    assert.equal(frames, 1);
  });
});
