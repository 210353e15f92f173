// Frame codec: round trips, split delivery, limits and garbage.
import * as assert from 'node:assert/strict';
import { encodeFrame, FrameReader, FRAME_HEADER_BYTES } from '../../protocol/src/frame';
import { ErrorCodes } from '../../protocol/src/errors';

describe('frame codec', () => {
  it('round-trips a message delivered one byte at a time', () => {
    const msg = { type: 'request', id: '1', method: 'kernel/ping', params: { nonce: 'héllo ✓' } };
    const frame = encodeFrame(msg);
    const reader = new FrameReader();
    const out = [];
    for (const b of frame) out.push(...reader.push(Buffer.from([b])));
    assert.deepEqual(out, [{ type: 'message', value: msg }]);
    assert.equal(reader.hasPartialFrame, false);
  });

  it('decodes several frames from one chunk', () => {
    const chunk = Buffer.concat([encodeFrame({ a: 1 }), encodeFrame({ b: 2 }), encodeFrame([3])]);
    const values = new FrameReader().push(chunk).map((r) => (r.type === 'message' ? r.value : r.error.code));
    assert.deepEqual(values, [{ a: 1 }, { b: 2 }, [3]]);
  });

  it('refuses a header announcing more than the limit without buffering the body', () => {
    const reader = new FrameReader(1024);
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32BE(2048, 0);
    const [r] = reader.push(header);
    assert.equal(r.type, 'error');
    assert.equal(r.type === 'error' && r.error.code, ErrorCodes.FrameTooLarge);
    assert.equal(reader.isFatal, true);
    assert.deepEqual(reader.push(Buffer.alloc(4096)), []);
    assert.equal(reader.bufferedBytes, 0);
  });

  it('reports non-JSON bodies and keeps going', () => {
    const bad = Buffer.from('not json{');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(bad.length, 0);
    const out = new FrameReader().push(Buffer.concat([header, bad, encodeFrame({ ok: true })]));
    assert.equal(out[0].type, 'error');
    assert.deepEqual(out[1], { type: 'message', value: { ok: true } });
  });

  it('refuses zero-length frames and encodes nothing over the limit', () => {
    const [r] = new FrameReader().push(Buffer.alloc(4));
    assert.equal(r.type === 'error' && r.error.code, ErrorCodes.BadFrame);
    assert.throws(() => encodeFrame({ big: 'x'.repeat(2000) }, 1000), /frame limit/);
  });
});
