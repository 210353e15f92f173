// A tunnel's upstream read memory: small reads are copied out of the shared buffer, a bulk transfer is handed over
// without a copy (each read in memory of its own), buffers come back to the pool only once released, and the memory
// lent to bulk tunnels is bounded.
import * as assert from 'node:assert/strict';
import { READ_SIZE, ReadPool, SMALL_READ, UpstreamReads } from '../../../kernel/src/egress/read-buffers';

/** What libuv would do: fill the target `next` gave with `n` bytes of `fill`. */
function readInto(r: UpstreamReads, n: number, fill: number): { buf: Buffer; got: ReturnType<UpstreamReads['take']> } {
  const buf = r.next();
  buf.fill(fill, 0, n);
  return { buf, got: r.take(n, buf) };
}

describe('egress proxy: upstream read buffers', () => {
  it('copies a small read out of the shared buffer and keeps the tunnel on it (an idle tunnel holds nothing)', () => {
    const pool = new ReadPool();
    const r = new UpstreamReads(pool);
    assert.equal(r.next(), pool.shared);
    const { got } = readInto(r, 100, 7);
    assert.equal(got.data.length, 100);
    assert.notEqual(got.data.buffer, pool.shared.buffer, 'the shared buffer is reused by the next read of any tunnel');
    assert.equal(got.release, undefined);
    pool.shared.fill(0);
    assert.ok(got.data.every((b) => b === 7));
    assert.equal(r.next(), pool.shared);
  });

  it('hands a bulk transfer over without copying: after the first large read, each read lands in memory of its own', () => {
    const pool = new ReadPool();
    const r = new UpstreamReads(pool);
    const first = readInto(r, READ_SIZE, 1);
    assert.notEqual(first.got.data.buffer, pool.shared.buffer, 'the first large read is copied (the shared buffer is not ours)');
    const target = r.next();
    assert.notEqual(target, pool.shared, 'the next read goes to a buffer of its own');
    const second = readInto(r, READ_SIZE - 5, 2);
    assert.equal(second.buf, target);
    assert.equal(second.got.data.buffer, target.buffer, 'handed over as read, not copied');
    assert.equal(second.got.data.byteOffset, target.byteOffset);
    assert.equal(second.got.data.length, READ_SIZE - 5);
    assert.notEqual(r.next(), target, 'the bytes just read are not read over before their write is done');
  });

  it('returns buffers to the pool only when released, and goes back to the shared buffer after a small read', () => {
    const pool = new ReadPool();
    const r = new UpstreamReads(pool);
    const a = readInto(r, READ_SIZE, 1).got; // copied into a pooled buffer; the next target is pooled too
    const b = readInto(r, SMALL_READ, 2).got; // exactly SMALL_READ is still bulk: handed over
    assert.equal(pool.idle, 0);
    const c = readInto(r, SMALL_READ - 1, 3).got; // small in a private buffer: handed over, then back to shared
    assert.equal(r.next(), pool.shared);
    assert.ok(c.release, 'a private buffer is handed over even for a small read (it is already ours)');
    assert.ok(c.data.every((x) => x === 3));
    for (const g of [a, b, c]) g.release!();
    assert.equal(pool.idle, 3);
    const d = readInto(r, READ_SIZE, 4).got;
    assert.equal(pool.idle, 1, 'a released buffer is reused for the copy and for the next target');
    d.release!();
    assert.equal(pool.idle, 2);
  });

  it('copies a read that landed anywhere but its own target', () => {
    const pool = new ReadPool();
    const r = new UpstreamReads(pool);
    readInto(r, READ_SIZE, 1);
    const stray = Buffer.alloc(SMALL_READ * 2, 9);
    const got = r.take(stray.length, stray);
    assert.notEqual(got.data.buffer, stray.buffer);
    assert.ok(got.data.every((x) => x === 9));
  });

  it('lends at most maxLent buffers: past it a bulk read is copied and the tunnel stays on the shared buffer', () => {
    const pool = new ReadPool(2);
    const a = new UpstreamReads(pool);
    const first = readInto(a, READ_SIZE, 1).got; // one lent for the copy, one as a's next target
    assert.equal(pool.lent, 2);
    const b = new UpstreamReads(pool);
    const got = readInto(b, READ_SIZE, 5).got;
    assert.equal(got.release, undefined, 'nothing lent: the copy is in memory of its own, freed by GC');
    assert.ok(got.data.length === READ_SIZE && got.data.every((x) => x === 5));
    assert.equal(b.next(), pool.shared);
    assert.equal(pool.lent, 2);
    first.release!();
    a.dispose();
    assert.equal(pool.lent, 0, "a closed tunnel's own target goes back");
    assert.equal(a.next(), pool.shared);
  });
});
