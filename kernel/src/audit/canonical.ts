// Canonical serialisation of audit entries (the bytes each hash covers), the same bytes built in JS and in SQL.
import * as crypto from 'node:crypto';

/** Domain-separation prefixes: a digest made for one purpose can never be mistaken for another. */
export const DOMAIN = {
  entry: 'airlock.audit.entry.v1\n',
  payload: 'airlock.audit.payload.v1\n',
  genesis: 'airlock.audit.genesis.v1\n',
  head: 'airlock.audit.head.v1\n',
  dbHead: 'airlock.audit.dbhead.v1\n',
  checkpoint: 'airlock.audit.checkpoint.v1\n',
} as const;

/** Payloads longer than this keep only their digest (the detail view says so). */
export const MAX_STORED_PAYLOAD = 16 * 1024;

/** The fields of one entry exactly as stored (strings never null: '' stands for "none"). */
export interface StoredFields {
  seq: number;
  time: number;
  session: string;
  subject: string;
  action: string;
  resource: string;
  decision: string;
  ruleIds: string;
  payloadDigest: string;
  payload: string | null;
}

export function sha256Hex(s: string): string {
  return crypto.hash('sha256', s, 'hex');
}

/** Lone surrogates would be replaced differently by different encoders; make every string well-formed first. */
export function wellFormed(s: string): string {
  const w = s as unknown as { isWellFormed(): boolean; toWellFormed(): string };
  return w.isWellFormed() ? s : w.toWellFormed();
}

const field = (s: string): string => `${Buffer.byteLength(s)}:${s}`;

/** The bytes an entry hash covers: domain, previous hash, then every field, strings length-prefixed (UTF-8 bytes). */
export function entryInput(prevHash: string, f: StoredFields): string {
  return DOMAIN.entry + prevHash + '\n' + f.seq + '\n' + f.time + '\n' + field(f.session) + '\n' + field(f.subject) + '\n' +
    field(f.action) + '\n' + field(f.resource) + '\n' + field(f.decision) + '\n' + field(f.ruleIds) + '\n' +
    f.payloadDigest + '\n' + (f.payload === null ? '-' : field(f.payload));
}

export function entryHash(prevHash: string, f: StoredFields): string {
  return sha256Hex(entryInput(prevHash, f));
}

const sqlField = (c: string): string => `octet_length(${c}) || ':' || ${c}`;

/** The same bytes as `entryInput`, computed by SQLite from the stored columns (no per-row work in JS). */
export const ENTRY_INPUT_SQL = [
  `'${DOMAIN.entry.slice(0, -1)}' || char(10) || lower(hex(prev_hash))`, 'seq', 'time',
  ...['session', 'subject', 'action', 'resource', 'decision', 'rule_ids'].map(sqlField),
  'lower(hex(payload_digest))', `coalesce(${sqlField('payload')}, '-')`,
].join(' || char(10) || ');

const NULL_PAYLOAD_DIGEST = sha256Hex(DOMAIN.payload + 'null');

/**
 * Digest of the payload's JSON text, plus the text to store (null when absent or larger than MAX_STORED_PAYLOAD).
 * The digest covers the text exactly as written; verification never re-serialises, so key order needs no sorting.
 */
export function payloadParts(payload: unknown): { digest: string; stored: string | null } {
  if (payload === undefined || payload === null) return { digest: NULL_PAYLOAD_DIGEST, stored: null };
  const text = wellFormed(JSON.stringify(payload) ?? 'null');
  return { digest: sha256Hex(DOMAIN.payload + text), stored: text.length <= MAX_STORED_PAYLOAD ? text : null };
}

export function payloadDigestOf(text: string): string {
  return sha256Hex(DOMAIN.payload + text);
}

/** The "previous hash" of entry 1: bound to the log's random id, so a chain cannot be moved between logs. */
export function genesisHash(logId: string): string {
  return sha256Hex(DOMAIN.genesis + logId);
}

export function mac(key: Buffer, domain: string, text: string): string {
  return crypto.createHmac('sha256', key).update(domain + text).digest('hex');
}

export function macEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && crypto.timingSafeEqual(x, y);
}
