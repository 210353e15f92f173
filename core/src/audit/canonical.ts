// Canonical serialisation of audit entries (the bytes each hash covers), the same bytes built in JS and in SQL.
import * as crypto from 'node:crypto';

/** Domain-separation prefixes: a digest made for one purpose can never be mistaken for another. */
export const DOMAIN = {
  entry: 'airlock.audit.entry.v2\u0000',
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

/**
 * Makes a field storable: well-formed (lone surrogates would be replaced differently by different encoders) and free of
 * NUL, the field separator of the canonical bytes. Because no stored field ever holds a NUL, the separators sit at the
 * same places in any two rows with equal bytes, so text cannot be moved from one field to another unnoticed.
 */
export function wellFormed(s: string): string {
  const w = s as unknown as { isWellFormed(): boolean; toWellFormed(): string };
  const t = w.isWellFormed() ? s : w.toWellFormed();
  return t.includes('\0') ? t.replaceAll('\0', '\uFFFD') : t;
}

/**
 * The bytes an entry hash covers (UTF-8): domain, previous hash, then every field, NUL-separated; a payload that is not
 * stored adds no field. Hashes are lowercase hex.
 */
export function entryInput(prevHash: string, f: StoredFields): string {
  return entryInputOf(
    prevHash,
    f.seq,
    f.time,
    f.session,
    f.subject,
    f.action,
    f.resource,
    f.decision,
    f.ruleIds,
    f.payloadDigest,
    f.payload,
  );
}

/** `entryInput` with the fields as arguments (the writer's hot path: no fields object per entry). */
export function entryInputOf(
  prevHash: string,
  seq: number,
  time: number,
  session: string,
  subject: string,
  action: string,
  resource: string,
  decision: string,
  ruleIds: string,
  payloadDigest: string,
  payload: string | null,
): string {
  const s =
    DOMAIN.entry +
    prevHash +
    '\0' +
    seq +
    '\0' +
    time +
    '\0' +
    session +
    '\0' +
    subject +
    '\0' +
    action +
    '\0' +
    resource +
    '\0' +
    decision +
    '\0' +
    ruleIds +
    '\0' +
    payloadDigest;
  return payload === null ? s : s + '\0' + payload;
}

export function entryHash(prevHash: string, f: StoredFields): string {
  return sha256Hex(entryInput(prevHash, f));
}

/** `entryHash` with the fields as arguments. */
export function entryHashOf(
  prevHash: string,
  seq: number,
  time: number,
  session: string,
  subject: string,
  action: string,
  resource: string,
  decision: string,
  ruleIds: string,
  payloadDigest: string,
  payload: string | null,
): string {
  return crypto.hash(
    'sha256',
    entryInputOf(prevHash, seq, time, session, subject, action, resource, decision, ruleIds, payloadDigest, payload),
    'hex',
  );
}

/** The same bytes as `entryInput`, built by SQLite from the stored columns in one call (concat_ws skips a NULL payload). */
export const ENTRY_INPUT_SQL = `concat_ws(char(0), '${DOMAIN.entry.slice(0, -1)}', lower(hex(prev_hash)), seq, time, session, subject, action, resource, decision, rule_ids, lower(hex(payload_digest)), payload)`;

/** The digest of an absent payload. */
export const NULL_PAYLOAD_DIGEST = sha256Hex(DOMAIN.payload + 'null');

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
  return crypto
    .createHmac('sha256', key)
    .update(domain + text)
    .digest('hex');
}

export function macEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && crypto.timingSafeEqual(x, y);
}
