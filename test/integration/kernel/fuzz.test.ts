// Thousands of random and malformed frames against the real kernel: it never crashes, hangs or balloons.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { KernelSupervisor } from '../../../bootstrap';
import { encodeFrame, MAX_FRAME_BYTES } from '../../../protocol/src/frame';
import { PROTOCOL_VERSION } from '../../../protocol/src/messages';
import { removeKernel, startKernel, tempWorkspace } from './helpers';

/** Deterministic PRNG (mulberry32) so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function header(n: number): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(n >>> 0);
  return h;
}

function malformed(r: () => number, i: number): { bytes: Buffer; fatal: boolean } {
  const pick = Math.floor(r() * 9);
  const json = (v: unknown) => ({ bytes: encodeFrame(v), fatal: false });
  switch (pick) {
    case 0:
      return { bytes: Buffer.concat([header(MAX_FRAME_BYTES + 1 + Math.floor(r() * 1e6))]), fatal: true };
    case 1: {
      const b = Buffer.from(Array.from({ length: 1 + Math.floor(r() * 64) }, () => Math.floor(r() * 256)));
      return { bytes: Buffer.concat([header(b.length), b]), fatal: false };
    }
    case 2:
      return json({
        type: 'request',
        id: String(i),
        method: 'fs/read',
        params: { path: r() < 0.5 ? 123 : '../'.repeat(50) + 'etc/shadow' },
      });
    case 3:
      return json({ type: 'request', id: 'x'.repeat(Math.floor(r() * 200)), method: 'kernel/ping' });
    case 4:
      return json({ type: ['hello', 'cancel', 'response', 'welcome', 'event', 42][Math.floor(r() * 6)], id: i });
    case 5:
      return json([null, 1, 'str', { deeply: { nested: [1, 2, { x: 'y'.repeat(1000) }] } }][Math.floor(r() * 4)]);
    case 6:
      return json({ type: 'request', id: `m${i}`, method: 'no/such/' + i, params: {} });
    case 7:
      return { bytes: header(0), fatal: true };
    default:
      return json({ type: 'cancel', id: String(Math.floor(r() * 1000)) });
  }
}

async function session(sup: KernelSupervisor, frames: Buffer[], closeEarly: boolean): Promise<void> {
  const token = fs.readFileSync(sup.paths.token, 'utf8');
  await new Promise<void>((resolve) => {
    const s = net.connect(sup.paths.socket);
    s.on('data', () => {});
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.on('connect', () => {
      s.write(encodeFrame({ type: 'hello', protocol: PROTOCOL_VERSION, client: { name: 'fuzz', version: '1' }, token }));
      for (const f of frames) s.write(f);
      // A truncated frame: announce 100 bytes, send 10, hang up.
      if (closeEarly) s.write(Buffer.concat([header(100), Buffer.alloc(10, 1)]));
      s.end();
    });
    setTimeout(() => {
      s.destroy();
      resolve();
    }, 10_000).unref();
  });
}

describe('kernel under malformed input (docker)', function () {
  this.timeout(180_000);
  let sup: KernelSupervisor;
  before(async () => {
    sup = await startKernel('docker', tempWorkspace());
  });
  after(async () => {
    if (sup) await removeKernel(sup);
  });

  it('survives 5,000 random and malformed frames and still answers', async () => {
    const client = await sup.ready();
    const info0 = await client.request('kernel/info', {});
    const pid = (await sup.engine.docker.getContainer(`airlock-kernel-${sup.paths.id}`).inspect()).State.Pid;
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
    const rss0 = rss();
    const r = rng(0xa1710c);
    let sent = 0;
    let batch: Buffer[] = [];
    for (let i = 0; sent < 5000; i++) {
      const m = malformed(r, i);
      batch.push(m.bytes);
      sent++;
      // A fatal frame ends the stream for that connection: flush the batch on a fresh connection.
      if (m.fatal || batch.length >= 200) {
        await session(sup, batch, r() < 0.3);
        batch = [];
      }
    }
    if (batch.length) await session(sup, batch, true);
    const client2 = await sup.ready();
    assert.equal((await client2.request('kernel/ping', { nonce: 'after' }, { timeoutMs: 5000 })).nonce, 'after');
    const info1 = await client2.request('kernel/info', {});
    assert.equal(info1.startedAt, info0.startedAt, 'the kernel did not restart');
    assert.ok(rss() - rss0 < 64 * 1024 * 1024, `kernel RSS grew by ${((rss() - rss0) / 1e6).toFixed(1)} MB`);
  });
});
