// An engine exec (the fallback when a sandbox has no exec agent) keeps at most maxOutput bytes of each stream: what
// the sandbox prints is untrusted and was kept whole, so an endless command grew the kernel without bound.
import * as assert from 'node:assert/strict';
import Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import { collectDemuxed } from '../../../kernel/src/runtime/dockerode-runtime';
import { ENGINE_EXEC_MAX_OUTPUT } from '../../../kernel/src/runtime/types';

/** One frame of Docker's multiplexed stream: 1 = stdout, 2 = stderr. */
const frame = (kind: 1 | 2, data: Buffer) => {
  const h = Buffer.alloc(8);
  h[0] = kind;
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
};

async function collect(frames: Buffer[], max?: number) {
  const stream = new PassThrough();
  const got = collectDemuxed(new Docker().modem, stream, max);
  for (const f of frames) stream.write(f);
  stream.end();
  return got;
}

describe('engine exec output cap', () => {
  it('keeps the first maxOutput bytes of each stream, reads the rest to the end and says it was truncated', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const frames = [
      ...Array.from({ length: 64 }, () => frame(1, chunk)),
      frame(2, Buffer.from('warning\n')),
      frame(1, Buffer.from('tail')),
    ];
    const r = await collect(frames, 100_000);
    assert.equal(r.stdout.length, 100_000);
    assert.equal(r.stderr.toString(), 'warning\n');
    assert.equal(r.truncated, true);
  });

  it('keeps small output whole, not truncated; the default cap is 1 MiB', async () => {
    const r = await collect([frame(1, Buffer.from('hello ')), frame(1, Buffer.from('world')), frame(2, Buffer.from('err'))]);
    assert.deepEqual([r.stdout.toString(), r.stderr.toString(), r.truncated], ['hello world', 'err', false]);
    const big = await collect(Array.from({ length: 40 }, () => frame(2, Buffer.alloc(64 * 1024, 0x62))));
    assert.deepEqual([big.stderr.length, big.truncated], [ENGINE_EXEC_MAX_OUTPUT, true]);
  });
});
