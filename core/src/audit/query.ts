// Filtered, keyset-paged reads of the audit log (the audit view, `airlock audit tail` and export).
import type { Database } from 'better-sqlite3';
import { type AuditEntry, type AuditFilter, type AuditPage, AuditQuery } from '../../../protocol/src/audit';

const SELECT = `SELECT seq, time, session, subject, action, resource, decision, rule_ids,
  lower(hex(payload_digest)) AS digest, payload, lower(hex(prev_hash)) AS prev, lower(hex(hash)) AS hash FROM entries`;

export interface EntryRow {
  seq: number;
  time: number;
  session: string;
  subject: string;
  action: string;
  resource: string;
  decision: string;
  rule_ids: string;
  digest: string;
  payload: string | null;
  prev: string;
  hash: string;
}

/**
 * First seq whose time is >= t (`atLeast`), or last seq whose time is <= t. Time never decreases along the chain, so a
 * binary search over seq with point lookups (about 20 for a million entries) replaces a time index on every insert.
 */
export function seqForTime(db: Database, t: number, mode: 'atLeast' | 'atMost'): number {
  const b = db.prepare('SELECT min(seq) AS lo, max(seq) AS hi FROM entries').get() as { lo: number | null; hi: number | null };
  if (b.lo === null || b.hi === null) return 0;
  const timeAt = db.prepare('SELECT time FROM entries WHERE seq >= ? ORDER BY seq LIMIT 1').pluck();
  // Find the first seq with time > t (atMost) or >= t (atLeast).
  let lo = b.lo;
  let hi = b.hi + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const time = timeAt.get(mid) as number;
    if (mode === 'atLeast' ? time >= t : time > t) hi = mid;
    else lo = mid + 1;
  }
  return mode === 'atLeast' ? lo : lo - 1;
}

/** WHERE clause and parameters for a filter; `cursor` pages by sequence number. */
export function filterSql(
  db: Database,
  f: AuditFilter,
  cursor?: { seq: number; order: 'asc' | 'desc' },
): { where: string; params: unknown[] } {
  const w: string[] = [];
  const p: unknown[] = [];
  if (f.session) {
    const span = db.prepare('SELECT first_seq AS lo, last_seq AS hi FROM sessions WHERE session = ?').get(f.session) as
      { lo: number; hi: number } | undefined;
    w.push('seq BETWEEN ? AND ? AND session = ?');
    p.push(span?.lo ?? 1, span?.hi ?? 0, f.session);
  }
  if (f.action) {
    const prefix = f.action.endsWith('*') ? f.action.slice(0, -1) : f.action.endsWith('.') ? f.action : undefined;
    if (prefix !== undefined) {
      w.push('substr(action, 1, ?) = ?');
      p.push(prefix.length, prefix);
    } else {
      w.push('action = ?');
      p.push(f.action);
    }
  }
  if (f.decision) {
    w.push('decision = ?');
    p.push(f.decision);
  }
  if (f.subject) {
    w.push('subject = ?');
    p.push(f.subject);
  }
  if (f.resource) {
    w.push('instr(resource, ?) > 0');
    p.push(f.resource);
  }
  if (f.since !== undefined) {
    w.push('seq >= ? AND time >= ?');
    p.push(seqForTime(db, f.since, 'atLeast'), f.since);
  }
  if (f.until !== undefined) {
    w.push('seq <= ? AND time <= ?');
    p.push(seqForTime(db, f.until, 'atMost'), f.until);
  }
  if (cursor) {
    w.push(cursor.order === 'asc' ? 'seq > ?' : 'seq < ?');
    p.push(cursor.seq);
  }
  return { where: w.length ? ` WHERE ${w.join(' AND ')}` : '', params: p };
}

export function rowToEntry(r: EntryRow, withPayload: boolean): AuditEntry {
  return {
    seq: r.seq,
    time: r.time,
    session: r.session || null,
    subject: r.subject,
    action: r.action,
    resource: r.resource,
    decision: r.decision || null,
    ruleIds: JSON.parse(r.rule_ids) as string[],
    payloadDigest: r.digest,
    payload: withPayload && r.payload !== null ? JSON.parse(r.payload) : null,
    prevHash: r.prev,
    hash: r.hash,
  };
}

export function queryEntries(db: Database, input: AuditQuery): AuditPage {
  const q = AuditQuery.parse(input);
  const { where, params } = filterSql(db, q, q.cursor !== undefined ? { seq: q.cursor, order: q.order } : undefined);
  const rows = db
    .prepare(`${SELECT}${where} ORDER BY seq ${q.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`)
    .all(...params, q.limit + 1) as EntryRow[];
  const more = rows.length > q.limit;
  const entries = rows.slice(0, q.limit).map((r) => rowToEntry(r, q.payloads));
  return more ? { entries, nextCursor: entries[entries.length - 1].seq } : { entries };
}

/** Streams every matching entry in order (export): constant memory, whatever the log's size. */
export function* iterateEntries(db: Database, f: AuditFilter, withPayload = true): Generator<AuditEntry> {
  const { where, params } = filterSql(db, f);
  for (const r of db.prepare(`${SELECT}${where} ORDER BY seq ASC`).iterate(...params)) yield rowToEntry(r as EntryRow, withPayload);
}
