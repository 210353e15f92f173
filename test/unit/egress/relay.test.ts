// The proxy's tunnel data path (a shared read buffer for small reads, buffers of their own handed over for bulk ones):
// large transfers arrive byte-exact under back-pressure, on several tunnels at once and across small/bulk switches,
// counted in net.close; a server that speaks first is heard after the 200.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { EgressProxy } from '../../../kernel/src/egress/proxy';
import { MemoryAudit, testPolicy, testResolver } from './fixture';

const SIZE = 6 * 1024 * 1024 + 12345;

/** A TCP server that sends `data` as soon as a client connects, then closes its side. */
async function speaker(data: Buffer): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((c) => {
    c.on('error', () => undefined);
    c.end(data);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** A TCP server that sends each part of `parts` after a pause (so reads come small, then bulk, then small), then closes. */
async function phased(parts: Buffer[]): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer(async (c) => {
    c.on('error', () => undefined);
    for (const p of parts) {
      await new Promise<void>((r) => c.write(p, () => r()));
      await new Promise((r) => setTimeout(r, 30));
    }
    c.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Opens a tunnel and returns everything after the proxy's head; `slow` stops reading now and then (back-pressure). */
function through(sock: string, port: number, slow: boolean): Promise<{ head: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(sock);
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      if (slow && chunks.length % 8 === 0) {
        s.pause();
        setTimeout(() => s.resume(), 5);
      }
    });
    s.on('end', () => {
      const all = Buffer.concat(chunks);
      const at = all.indexOf('\r\n\r\n');
      resolve({ head: all.subarray(0, at).toString('latin1'), body: all.subarray(at + 4) });
    });
    s.on('error', reject);
    s.write(`CONNECT allowed.test:${port} HTTP/1.1\r\n\r\n`);
  });
}

describe('egress proxy: the tunnel data path', () => {
  let dir: string;
  let proxy: EgressProxy;
  let audit: MemoryAudit;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-relay-'));
    audit = new MemoryAudit();
    proxy = new EgressProxy({ policy: testPolicy(), audit: audit.source, dir, resolve: testResolver });
    await proxy.listen({ sandbox: 'sbx-relay', subject: { kind: 'agent', id: 't', tags: [] } });
  });
  after(async () => {
    await proxy.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('carries large downloads byte-exact, several at once, a slow reader among them; net.close counts every byte', async () => {
    const datas = [0, 1, 2].map((i) => Buffer.from(Array.from({ length: SIZE }, (_, j) => (j * 31 + i * 7) & 0xff)));
    const servers = await Promise.all(datas.map((d) => speaker(d)));
    try {
      const sock = path.join(dir, 'sbx-relay', 'proxy.sock');
      const got = await Promise.all(servers.map((s, i) => through(sock, s.port, i === 1)));
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      for (const [i, g] of got.entries()) {
        assert.match(g.head, /^HTTP\/1\.1 200 /, "the 200 comes before the server's first bytes");
        assert.equal(g.body.length, SIZE);
        assert.equal(sha(g.body), sha(datas[i]), `tunnel ${i} is byte-exact`);
      }
      for (let i = 0; i < 100 && audit.of('net.close').length < 3; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(
        audit.of('net.close').map((c) => (c.payload as { bytesDown: number }).bytesDown),
        [SIZE, SIZE, SIZE],
      );
    } finally {
      for (const s of servers) s.server.close();
    }
  });

  it('stays byte-exact when two tunnels switch between small reads and bulk ones, one of them read slowly', async () => {
    const bytes = (n: number, seed: number) => {
      const b = Buffer.allocUnsafe(n);
      for (let j = 0; j < n; j++) b[j] = (j * 13 + seed) & 0xff;
      return b;
    };
    const plan = [100, 3 * 1024 * 1024 + 7, 10, 2 * 1024 * 1024, 65535, 65536, 1];
    const servers = await Promise.all([1, 2].map((k) => phased(plan.map((n, i) => bytes(n, k * 31 + i)))));
    try {
      const sock = path.join(dir, 'sbx-relay', 'proxy.sock');
      const got = await Promise.all(servers.map((s, i) => through(sock, s.port, i === 1)));
      for (const [k, g] of got.entries()) {
        const want = Buffer.concat(plan.map((n, i) => bytes(n, (k + 1) * 31 + i)));
        assert.equal(g.body.length, want.length);
        assert.ok(g.body.equals(want), `tunnel ${k} is byte-exact`);
      }
    } finally {
      for (const s of servers) s.server.close();
    }
  });
});
