// Filtered, keyset-paged reads of the audit log (the audit view, `airlock audit tail` and export).
import type { Database } from 'better-sqlite3';
import { AuditEntry, AuditFilter, AuditPage, AuditQuery } from '../../../protocol/src/audit';

const SELECT = `SELECT seq, time, session, subject, action, resource, decision, rule_ids,
  lower(hex(payload_digest)) AS digest, payload, lower(hex(prev_hash)) AS prev, lower(hex(hash)) AS hash FROM entries`;

export interface EntryRow {
  seq: number; time: number; session: string; subject: string; action: string; resource: string; decision: string;
  rule_ids: string; digest: string; payload: string | null; prev: string; hash: string;
}

/** WHERE clause and parameters for a filter; `cursor` pages by sequence number. */
export function filterSql(f: AuditFilter, cursor?: { seq: number; order: 'asc' | 'desc' }): { where: string; params: unknown[] } {
  const w: string[] = [];
  const p: unknown[] = [];
  if (f.session) { w.push('session = ?'); p.push(f.session); }
  if (f.action) {
    const prefix = f.action.endsWith('*') ? f.action.slice(0, -1) : f.action.endsWith('.') ? f.action : undefined;
    if (prefix !== undefined) { w.push('substr(action, 1, ?) = ?'); p.push(prefix.length, prefix); } else { w.push('action = ?'); p.push(f.action); }
  }
  if (f.decision) { w.push('decision = ?'); p.push(f.decision); }
  if (f.subject) { w.push('subject = ?'); p.push(f.subject); }
  if (f.resource) { w.push('instr(resource, ?) > 0'); p.push(f.resource); }
  if (f.since !== undefined) { w.push('time >= ?'); p.push(f.since); }
  if (f.until !== undefined) { w.push('time <= ?'); p.push(f.until); }
  if (cursor) { w.push(cursor.order === 'asc' ? 'seq > ?' : 'seq < ?'); p.push(cursor.seq); }
  return { where: w.length ? ` WHERE ${w.join(' AND ')}` : '', params: p };
}

export function rowToEntry(r: EntryRow, withPayload: boolean): AuditEntry {
  return {
    seq: r.seq, time: r.time, session: r.session || null, subject: r.subject, action: r.action, resource: r.resource,
    decision: r.decision || null, ruleIds: JSON.parse(r.rule_ids) as string[], payloadDigest: r.digest,
    payload: withPayload && r.payload !== null ? JSON.parse(r.payload) : null, prevHash: r.prev, hash: r.hash,
  };
}

export function queryEntries(db: Database, input: AuditQuery): AuditPage {
  const q = AuditQuery.parse(input);
  const { where, params } = filterSql(q, q.cursor !== undefined ? { seq: q.cursor, order: q.order } : undefined);
  const rows = db.prepare(`${SELECT}${where} ORDER BY seq ${q.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`).all(...params, q.limit + 1) as EntryRow[];
  const more = rows.length > q.limit;
  const entries = rows.slice(0, q.limit).map((r) => rowToEntry(r, q.payloads));
  return more ? { entries, nextCursor: entries[entries.length - 1].seq } : { entries };
}

/** Streams every matching entry in order (export): constant memory, whatever the log's size. */
export function* iterateEntries(db: Database, f: AuditFilter, withPayload = true): Generator<AuditEntry> {
  const { where, params } = filterSql(f);
  for (const r of db.prepare(`${SELECT}${where} ORDER BY seq ASC`).iterate(...params)) yield rowToEntry(r as EntryRow, withPayload);
}
