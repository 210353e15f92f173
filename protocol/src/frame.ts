// Length-prefixed framing: 4-byte big-endian payload length, then that many bytes of UTF-8 JSON.
import { AirlockError, ErrorCodes } from './errors';

export const FRAME_HEADER_BYTES = 4;
/** Largest payload a peer may send. A header announcing more closes the connection before buffering it. */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** Largest frame before the hello is accepted: a hello is well under 3 KiB (token 256, name 128, version 64 chars). */
export const PRE_AUTH_MAX_FRAME_BYTES = 4 * 1024;

export function encodeFrame(message: unknown, maxBytes = MAX_FRAME_BYTES): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > maxBytes) {
    throw new AirlockError(
      ErrorCodes.FrameTooLarge,
      `message of ${body.length} bytes exceeds the ${maxBytes}-byte frame limit`,
      'split the payload or stream it in chunks',
    );
  }
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export type FrameResult = { type: 'message'; value: unknown } | { type: 'error'; error: AirlockError };

/**
 * Incremental decoder. Feed it chunks; it yields whole decoded messages or errors.
 * A bad header is fatal (the stream cannot be resynchronised); bad JSON inside a well-sized frame is not.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1;
  private fatal = false;

  constructor(private maxBytes = MAX_FRAME_BYTES) {}

  /** Applies from the next frame header on (the limit rises once a connection has authenticated). */
  setMaxBytes(n: number): void {
    this.maxBytes = n;
  }

  get isFatal(): boolean {
    return this.fatal;
  }

  /** Bytes currently held, never more than one frame plus one header. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): FrameResult[] {
    this.append(chunk);
    const out: FrameResult[] = [];
    for (let r = this.next(); r; r = this.next()) out.push(r);
    return out;
  }

  /** Buffers a chunk without decoding; `next()` then yields its frames one at a time. */
  append(chunk: Buffer): void {
    if (this.fatal) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next whole frame, or undefined until more bytes arrive. Each header is checked against the limit in force
   * when it is read, so a message handled before it (a hello) can raise the limit for the frames after it. */
  next(): FrameResult | undefined {
    if (this.fatal) return undefined;
    if (this.expected < 0) {
      if (this.buffered < FRAME_HEADER_BYTES) return undefined;
      const len = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
      if (len === 0 || len > this.maxBytes) {
        this.fatal = true;
        this.chunks = [];
        this.buffered = 0;
        return {
          type: 'error',
          error:
            len === 0
              ? new AirlockError(ErrorCodes.BadFrame, 'empty frame')
              : new AirlockError(ErrorCodes.FrameTooLarge, `frame of ${len} bytes exceeds the ${this.maxBytes}-byte limit`),
        };
      }
      this.expected = len;
    }
    if (this.buffered < this.expected) return undefined;
    const body = this.take(this.expected);
    this.expected = -1;
    try {
      return { type: 'message', value: JSON.parse(body.toString('utf8')) };
    } catch {
      return { type: 'error', error: new AirlockError(ErrorCodes.BadFrame, 'frame is not valid JSON') };
    }
  }

  /** True when the stream ended in the middle of a frame. */
  get hasPartialFrame(): boolean {
    return this.buffered > 0 || this.expected >= 0;
  }

  private take(n: number): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    const head = joined.subarray(0, n);
    const rest = joined.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return head;
  }
}
