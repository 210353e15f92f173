// The hot loop of verification: checks one range of the chain from SQL-built canonical bytes, in-process or in a worker.
import type { Statement } from 'better-sqlite3';
import type * as Crypto from 'node:crypto';
import { ENTRY_INPUT_SQL } from './canonical';

/** One query per batch: every row's canonical bytes, length-prefixed with its stored hash, in one blob. */
export const RANGE_SQL = `SELECT CAST(group_concat(rec, '') AS BLOB), count(*) FROM (
  SELECT concat(printf('%08x', octet_length(inp)), h, inp) AS rec FROM (
    SELECT ${ENTRY_INPUT_SQL} AS inp, lower(hex(hash)) AS h FROM entries WHERE seq > ? AND seq <= ? ORDER BY seq))`;

export type RangeFailure = { seq: number; reason: 'hash-mismatch' | 'broken-link' | 'sequence-gap' | 'corrupt'; message: string };

export interface RangeResult {
  from: number;
  to: number;
  /** Previous hash stored in the range's first entry ('' when the range is empty). */
  firstPrev: string;
  lastHash: string;
  count: number;
  failure?: RangeFailure;
}

/**
 * Verifies entries with from < seq <= to. Written without inner functions or imports so that its source can run in a
 * worker as is (see verify.ts); `crypto` is passed in. `expectPrev` checks the first link when the caller knows it.
 */
export function verifyRange(
  stmt: Statement,
  crypto: typeof Crypto,
  from: number,
  to: number,
  batch: number,
  expectPrev: string | null,
): RangeResult {
  const DOMAIN_LEN = 23; // 'airlock.audit.entry.v2\0'
  let expected = from + 1;
  let prevBuf: Buffer | null = expectPrev === null ? null : Buffer.from(expectPrev, 'latin1');
  let prevOff = 0;
  let firstPrev = '';
  let lastHash = '';
  let count = 0;
  let fail: RangeFailure | undefined;
  for (let lo = from; lo < to && !fail; lo += batch) {
    const row = stmt.get(lo, Math.min(to, lo + batch)) as [Buffer | null, number];
    const buf = row[0];
    if (!buf) continue;
    let off = 0;
    const end = buf.length;
    while (off < end) {
      let len = 0;
      for (let j = 0; j < 8; j++) {
        const c = buf[off + j];
        len = len * 16 + (c >= 97 ? c - 87 : c - 48);
      }
      const hs = off + 8;
      const is = hs + 64;
      const ie = is + len;
      const ps = is + DOMAIN_LEN;
      let seq = 0;
      for (let j = ps + 65; j < ie && buf[j] !== 0; j++) seq = seq * 10 + (buf[j] - 48);
      if (seq !== expected) {
        fail =
          seq > expected
            ? {
                seq: expected,
                reason: 'sequence-gap',
                message: `entr${seq - expected > 1 ? `ies ${expected}..${seq - 1} are` : `y ${expected} is`} missing (deleted, or renumbered)`,
              }
            : { seq, reason: 'corrupt', message: `entry ${seq} appears out of order` };
        break;
      }
      if (count === 0) firstPrev = buf.toString('latin1', ps, ps + 64);
      if (crypto.hash('sha256', buf.subarray(is, ie), 'hex') !== buf.toString('latin1', hs, is)) {
        fail = {
          seq,
          reason: 'hash-mismatch',
          message: `entry ${seq} does not match its hash (a field was edited, or the row was moved or replaced)`,
        };
        break;
      }
      if (prevBuf !== null && buf.compare(prevBuf, prevOff, prevOff + 64, ps, ps + 64) !== 0) {
        fail = {
          seq,
          reason: 'broken-link',
          message: `entry ${seq} does not link to entry ${seq - 1} (entry ${seq - 1} was rewritten, or entries were removed or inserted)`,
        };
        break;
      }
      prevBuf = buf;
      prevOff = hs;
      expected++;
      count++;
      off = ie;
    }
    if (!fail && prevBuf !== null && count > 0) {
      // Keep the last hash of this batch for the first link of the next one.
      prevBuf = Buffer.from(prevBuf.toString('latin1', prevOff, prevOff + 64), 'latin1');
      prevOff = 0;
      lastHash = prevBuf.toString('latin1', 0, 64);
    }
  }
  if (!fail && expected !== to + 1) {
    fail = {
      seq: expected,
      reason: 'sequence-gap',
      message: `entr${to - expected > 0 ? `ies ${expected}..${to} are` : `y ${expected} is`} missing (deleted, or renumbered)`,
    };
  }
  return { from, to, firstPrev, lastHash, count, failure: fail };
}
