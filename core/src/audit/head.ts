// The signed head: HMAC over the chain's last (seq, hash), in a two-slot file beside the database, rewritten every flush.
import * as fs from 'node:fs';
import { AirlockError } from '../../../protocol/src/errors';
import { type IDisposable } from '../../../protocol/src/lifecycle';
import { DOMAIN, mac, macEquals } from './canonical';

export interface ChainPoint {
  seq: number;
  hash: string;
}

/** `committed` is in the database; `pending` is being written (set before the commit, cleared right after). */
export interface HeadState {
  logId: string;
  committed: ChainPoint;
  pending: ChainPoint | null;
}

export interface SignedHead extends HeadState {
  counter: number;
  time: number;
}

export type HeadRead = { type: 'ok'; head: SignedHead } | { type: 'missing' } | { type: 'bad-signature'; message: string };

const SLOT = 512;

function macText(h: SignedHead): string {
  const p = h.pending;
  return [h.logId, h.counter, h.time, h.committed.seq, h.committed.hash, p ? p.seq : '-', p ? p.hash : '-'].join('\n');
}

function encode(key: Buffer, h: SignedHead): Buffer {
  const json = JSON.stringify({ v: 1, ...h, mac: mac(key, DOMAIN.head, macText(h)) });
  if (json.length > SLOT - 1) throw new AirlockError('AUDIT_HEAD', 'signed head record too large');
  const buf = Buffer.alloc(SLOT, 0x20);
  buf.write(json, 0, 'utf8');
  buf[SLOT - 1] = 0x0a;
  return buf;
}

function decode(key: Buffer, slot: Buffer): SignedHead | undefined {
  try {
    const o = JSON.parse(slot.toString('utf8')) as SignedHead & { v: number; mac: string };
    const h: SignedHead = { logId: o.logId, counter: o.counter, time: o.time, committed: o.committed, pending: o.pending };
    if (o.v !== 1 || typeof o.mac !== 'string' || !macEquals(o.mac, mac(key, DOMAIN.head, macText(h)))) return undefined;
    return h;
  } catch {
    return undefined;
  }
}

/** Reads both slots and keeps the valid one with the highest counter (a torn write leaves the other one intact). */
export function readHead(file: string, key: Buffer): HeadRead {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { type: 'missing' };
    throw e;
  }
  const heads = [0, 1].map((i) => decode(key, bytes.subarray(i * SLOT, (i + 1) * SLOT))).filter((h): h is SignedHead => !!h);
  if (!heads.length) {
    return {
      type: 'bad-signature',
      message: bytes.length
        ? 'the signed head does not match the audit key (edited, or signed with another key)'
        : 'the signed head file is empty',
    };
  }
  return { type: 'ok', head: heads.reduce((a, b) => (b.counter > a.counter ? b : a)) };
}

/** Writer side: keeps the file open and alternates slots; `durable` adds an fdatasync before returning. */
export class HeadWriter implements IDisposable {
  private readonly fd: number;
  private counter: number;

  constructor(
    readonly file: string,
    private readonly key: Buffer,
    last: Pick<SignedHead, 'counter'> | undefined,
  ) {
    this.fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+', 0o600);
    this.counter = last?.counter ?? 0;
  }

  write(state: HeadState, durable: boolean): SignedHead {
    const head: SignedHead = { ...state, counter: ++this.counter, time: Date.now() };
    fs.writeSync(this.fd, encode(this.key, head), 0, SLOT, (head.counter % 2) * SLOT);
    if (durable) fs.fdatasyncSync(this.fd);
    return head;
  }

  /** The last counter written (the next writer of this file continues from it). */
  get lastCounter(): number {
    return this.counter;
  }

  dispose(): void {
    fs.closeSync(this.fd);
  }
}
