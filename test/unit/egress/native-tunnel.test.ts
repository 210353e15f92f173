// The proxy's choice of relay for CONNECT tunnels (native by default on Linux, JS when AIRLOCK_EGRESS_RELAY=js or for
// plain HTTP), and what both must do alike: relay and count, and cut a tunnel mid-transfer when its sandbox's proxy closes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadRelay, RELAY_ENV, type RelayFn } from '../../../kernel/src/egress/native-relay';
import { EgressProxy } from '../../../kernel/src/egress/proxy';
import { helloServer, MemoryAudit, testPolicy, testResolver } from './fixture';

const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));

/** A server that sends 1 MiB chunks for as long as the connection lasts (paced by back-pressure). */
async function endless(): Promise<{ server: net.Server; port: number }> {
  const chunk = Buffer.alloc(1 << 20, 9);
  const server = net.createServer((c) => {
    c.on('error', () => undefined);
    const pump = () => {
      while (!c.destroyed && c.write(chunk));
    };
    c.on('drain', pump);
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Opens a tunnel; resolves with the socket once the 200 is in, and a running count of the bytes after it. */
function tunnel(sock: string, port: number): Promise<{ s: net.Socket; got: () => number; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path: sock, allowHalfOpen: true });
    let head = '',
      body = 0;
    const ended = new Promise<void>((r) => s.once('end', () => r()));
    s.on('data', (d: Buffer) => {
      if (head.includes('\r\n\r\n')) return void (body += d.length);
      head += d.toString('latin1');
      const at = head.indexOf('\r\n\r\n');
      if (at < 0) return;
      body += head.length - at - 4;
      if (!head.startsWith('HTTP/1.1 200')) return reject(new Error(head.split('\r\n')[0]));
      resolve({ s, got: () => body, ended });
    });
    s.on('error', () => undefined);
    s.write(`CONNECT allowed.test:${port} HTTP/1.1\r\n\r\n`);
  });
}

describe('egress proxy: which relay carries a tunnel', function () {
  this.timeout(30_000);
  let dir: string;
  let proxy: EgressProxy;
  let audit: MemoryAudit;
  let calls: number;
  let original: RelayFn | undefined;
  const saved = process.env[RELAY_ENV];

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-ntunnel-'));
    audit = new MemoryAudit();
    proxy = new EgressProxy({ policy: testPolicy(), audit: audit.source, dir, resolve: testResolver });
    await proxy.listen({ sandbox: 'sbx-n', subject: { kind: 'agent', id: 't', tags: [] } });
    // Counts the native relay's starts (the addon's function, wrapped where the proxy looks it up).
    const loaded = loadRelay();
    assert.ok(loaded.relay, `the native relay is not available: ${loaded.why}`);
    original = loaded.relay;
    calls = 0;
    loaded.relay = (...a) => (calls++, original!(...a));
  });
  afterEach(async () => {
    loadRelay().relay = original;
    if (saved === undefined) delete process.env[RELAY_ENV];
    else process.env[RELAY_ENV] = saved;
    await proxy.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const sock = () => path.join(dir, 'sbx-n', 'proxy.sock');

  it('relays CONNECT tunnels natively by default, plain HTTP in JS, and tunnels in JS when the switch says js', async () => {
    delete process.env[RELAY_ENV];
    const hello = await helloServer(3 << 20);
    try {
      const get = async () => {
        const t = await tunnel(sock(), hello.port);
        t.s.end('GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        await t.ended;
        return t.got();
      };
      assert.ok((await get()) > 3 << 20);
      assert.equal(calls, 1, 'the tunnel went through the native relay');
      const plain = await new Promise<string>((resolve) => {
        const s = net.connect(sock(), () => s.end(`GET http://allowed.test:${hello.port}/x HTTP/1.1\r\n\r\n`));
        let b = '';
        s.on('data', (d) => (b += d));
        s.on('close', () => resolve(b));
      });
      assert.match(plain, /hello \/x/);
      assert.equal(calls, 1, 'plain HTTP stays on the JS relay');
      process.env[RELAY_ENV] = 'js';
      assert.ok((await get()) > 3 << 20);
      assert.equal(calls, 1, 'AIRLOCK_EGRESS_RELAY=js: the JS relay');
      for (let i = 0; i < 100 && audit.of('net.close').length < 3; i++) await tick();
      const down = audit.of('net.close').map((c) => (c.payload as { bytesDown: number }).bytesDown);
      assert.equal(down.length, 3);
      // The records come in the order the connections closed, not the order they opened (the native relay reports
      // on its own thread): the two downloads are the two large ones.
      const big = down.filter((d) => d > 3 << 20);
      assert.equal(big.length, 2);
      assert.equal(big[0], big[1], 'both relays count the same bytes for the same download');
      // Each record names the relay that carried it: one native tunnel, the JS tunnel and the plain request.
      const relays = audit.of('net.close').map((c) => (c.payload as { relay: string }).relay);
      assert.deepEqual(relays.sort(), ['js', 'js', 'native']);
    } finally {
      hello.server.close();
    }
  });

  it('carries 40 tunnels at once byte-exact, each on a thread that is gone once its tunnel is', async () => {
    delete process.env[RELAY_ENV];
    const threads = () => fs.readdirSync('/proc/self/task').length;
    const before = threads();
    const data = Buffer.alloc(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
    const server = net.createServer({ allowHalfOpen: true }, (c) => {
      c.on('error', () => undefined);
      c.on('end', () => c.end(data)); // answers once the client has finished sending
      c.resume();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const one = async () => {
        const t = await tunnel(sock(), port);
        const chunks: Buffer[] = [];
        t.s.on('data', (d: Buffer) => chunks.push(d));
        t.s.end(Buffer.alloc(100_000, 3));
        await t.ended;
        return Buffer.concat(chunks);
      };
      const got = await Promise.all(Array.from({ length: 40 }, one));
      for (const g of got) assert.ok(g.equals(data));
      assert.equal(calls, 40);
      for (let i = 0; i < 200 && (audit.of('net.close').length < 40 || threads() > before); i++) await tick();
      assert.equal(threads(), before, 'no relay thread is left');
      for (const c of audit.of('net.close')) {
        const p = c.payload as { bytesUp: number; bytesDown: number };
        assert.deepEqual([p.bytesUp, p.bytesDown], [100_000, 1 << 20]);
      }
    } finally {
      server.close();
    }
  });

  for (const relay of ['native', 'js'] as const) {
    it(`${relay}: closing the sandbox's proxy cuts a tunnel mid-download and records the bytes it carried`, async () => {
      process.env[RELAY_ENV] = relay;
      const src = await endless();
      try {
        const t = await tunnel(sock(), src.port);
        while (t.got() < 2 << 20) await tick(5);
        await proxy.close('sbx-n');
        await t.ended;
        for (let i = 0; i < 100 && !audit.of('net.close').length; i++) await tick();
        const [c] = audit.of('net.close');
        const p = c.payload as { bytesDown: number; bytesUp: number; error: string | null };
        assert.equal(calls, relay === 'native' ? 1 : 0);
        assert.equal(p.error, null);
        assert.ok(p.bytesDown >= t.got(), `recorded ${p.bytesDown}, the client got ${t.got()}`);
      } finally {
        src.server.close();
      }
    });
  }
});
