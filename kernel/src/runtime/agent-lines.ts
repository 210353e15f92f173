// The exec agent's wire: capped line reading and the HMAC that authenticates each line in both directions.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Domain labels: a request copied into the reply stream (or the reverse) never verifies. */
export const REQUEST_DOMAIN = 'airlock-agent-request\n';
export const REPLY_DOMAIN = 'airlock-agent-reply\n';
const MAC_HEX = 64;

export function signLine(key: Buffer, domain: string, body: string): string {
  return `${createHmac('sha256', key).update(domain).update(body).digest('hex')} ${body}\n`;
}

/** The body of `<hex mac> <body>` when its MAC is right for this key and domain, else undefined. Checked before any
 * parsing, so a forged line costs one HMAC. */
export function verifyLine(key: Buffer, domain: string, line: Buffer): Buffer | undefined {
  if (line.length < MAC_HEX + 2 || line[MAC_HEX] !== 0x20) return undefined;
  const got = Buffer.from(line.subarray(0, MAC_HEX).toString('latin1'), 'hex');
  if (got.length !== 32) return undefined;
  const body = line.subarray(MAC_HEX + 1);
  const want = createHmac('sha256', key).update(domain).update(body).digest();
  return timingSafeEqual(got, want) ? body : undefined;
}

/**
 * Splits a byte stream into lines of at most `cap()` bytes. A longer line is dropped up to its newline without being
 * buffered (`onDiscard` counts it), so what is held never exceeds the cap, plus the one chunk being scanned.
 */
export class LineReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private discarding = false;

  constructor(
    private readonly cap: () => number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onDiscard: (bytes: number) => void,
  ) {}

  /** Bytes held for the line in progress. */
  get bufferedBytes(): number {
    return this.size;
  }

  push(b: Buffer): void {
    let start = 0;
    while (start < b.length) {
      const nl = b.indexOf(10, start);
      if (this.discarding) {
        const end = nl < 0 ? b.length : nl + 1;
        this.onDiscard(end - start);
        if (nl >= 0) this.discarding = false;
        start = end;
        continue;
      }
      const len = this.size + (nl < 0 ? b.length : nl) - start;
      if (len > this.cap()) {
        const held = this.size;
        this.reset();
        if (nl < 0) {
          this.discarding = true;
          this.onDiscard(held + b.length - start);
          return;
        }
        this.onDiscard(len + 1);
        start = nl + 1;
        continue;
      }
      if (nl < 0) {
        // A copy, so the tail does not pin the whole chunk it came in.
        this.chunks.push(start === 0 ? b : Buffer.from(b.subarray(start)));
        this.size += b.length - start;
        return;
      }
      const line = this.size ? Buffer.concat([...this.chunks, b.subarray(start, nl)]) : b.subarray(start, nl);
      this.reset();
      start = nl + 1;
      this.onLine(line);
    }
  }

  private reset(): void {
    this.chunks = [];
    this.size = 0;
  }
}
