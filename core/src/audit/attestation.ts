// Attestation signing and offline verification: the kernel's Ed25519 attestation key (beside the audit key), DSSE
// envelopes, and the checks `airlock audit verify-attestation` runs without the kernel.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import type { AuditEntry } from '../../../protocol/src/audit';
import { AttestationBundle, DSSE_PAYLOAD_TYPE, type Envelope, Statement } from '../../../protocol/src/attestation';
import { entryHashOf, payloadDigestOf } from './canonical';

export const ATTEST_KEY_NAME = 'attest-ed25519.pem';

/** The attestation key pair (created 0600 on first use; the audit key is an HMAC key, which a verifier cannot hold). */
export function loadAttestKey(keysDir: string): { privateKey: crypto.KeyObject; publicPem: string } {
  const file = path.join(keysDir, ATTEST_KEY_NAME);
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    fs.mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    try {
      fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    } catch (w) {
      if ((w as NodeJS.ErrnoException).code !== 'EEXIST') throw w;
    }
    pem = fs.readFileSync(file, 'utf8');
  }
  const privateKey = crypto.createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new AirlockError('ATTEST_KEY_INVALID', `${file} is not an Ed25519 key`);
  return { privateKey, publicPem: crypto.createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString() };
}

/** DSSE pre-authentication encoding: what the signature covers. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `), payload]);
}

export const keyId = (publicPem: string) =>
  crypto
    .createHash('sha256')
    .update(crypto.createPublicKey(publicPem).export({ type: 'spki', format: 'der' }))
    .digest('hex');

export function signStatement(st: Statement, key: { privateKey: crypto.KeyObject; publicPem: string }): Envelope {
  const payload = Buffer.from(JSON.stringify(st));
  const sig = crypto.sign(null, pae(DSSE_PAYLOAD_TYPE, payload), key.privateKey).toString('base64');
  return { payloadType: DSSE_PAYLOAD_TYPE, payload: payload.toString('base64'), signatures: [{ keyid: keyId(key.publicPem), sig }] };
}

/** An entry's chain hash from its fields as stored (the same bytes the writer hashed). */
export function recomputeEntryHash(e: AuditEntry): { hash: string; payloadOk: boolean } {
  const stored = e.payload === null ? null : JSON.stringify(e.payload);
  const hash = entryHashOf(
    e.prevHash,
    e.seq,
    e.time,
    e.session ?? '',
    e.subject,
    e.action,
    e.resource,
    e.decision ?? '',
    JSON.stringify(e.ruleIds),
    e.payloadDigest,
    stored,
  );
  return { hash, payloadOk: stored === null || payloadDigestOf(stored) === e.payloadDigest };
}

export interface AttestationCheck {
  ok: boolean;
  problems: string[];
  keyId: string;
  statement?: Statement;
}

/**
 * Offline: the signature (with `pinnedPem`, or the embedded key), every bundled entry's hash from its content, every
 * entry and hunk the statement references present and matching, and (with `logEntry`, a lookup in a copy of the log)
 * each entry equal to the copy's.
 */
export function verifyBundle(
  raw: unknown,
  o: { pinnedPem?: string; logEntry?: (seq: number) => { hash: string } | undefined } = {},
): AttestationCheck {
  const problems: string[] = [];
  const parsed = AttestationBundle.safeParse(raw);
  if (!parsed.success)
    return { ok: false, problems: [`not an Airlock attestation: ${parsed.error.issues[0]?.message ?? 'bad shape'}`], keyId: '' };
  const b = parsed.data;
  const pem = o.pinnedPem ?? b.publicKey;
  let kid = '';
  let pub: crypto.KeyObject | undefined;
  try {
    pub = crypto.createPublicKey(pem);
    kid = keyId(pem);
  } catch {
    problems.push('the public key cannot be read');
  }
  if (o.pinnedPem && kid && kid !== keyId(b.publicKey)) problems.push('the attestation carries another public key than the pinned one');
  const payload = Buffer.from(b.envelope.payload, 'base64');
  const signed =
    pub &&
    b.envelope.signatures.some((s) => {
      try {
        return crypto.verify(null, pae(b.envelope.payloadType, payload), pub!, Buffer.from(s.sig, 'base64'));
      } catch {
        return false;
      }
    });
  if (!signed) problems.push('the signature does not verify with the key');
  let st: Statement | undefined;
  try {
    st = Statement.parse(JSON.parse(payload.toString('utf8')));
  } catch {
    problems.push('the signed payload is not an in-toto statement of this kind');
  }
  const bySeq = new Map(b.entries.map((e) => [e.seq, e]));
  for (const e of b.entries) {
    const r = recomputeEntryHash(e);
    if (r.hash !== e.hash) problems.push(`audit entry #${e.seq} (${e.action}) does not match its hash`);
    if (!r.payloadOk) problems.push(`audit entry #${e.seq} (${e.action}): the payload does not match its digest`);
    const next = bySeq.get(e.seq + 1);
    if (next && next.prevHash !== e.hash) problems.push(`audit entries #${e.seq} and #${e.seq + 1} do not link`);
    const copy = o.logEntry?.(e.seq);
    if (o.logEntry && copy?.hash !== e.hash)
      problems.push(`audit entry #${e.seq} is ${copy ? 'different' : 'missing'} in the given copy of the log`);
  }
  // Only entries the signed statement names count: anyone can compute an unsigned entry's hash.
  const named = new Set<number>();
  for (const r of st?.predicate.runDetails.byproducts ?? []) {
    const m = /^audit:(\d+)$/.exec(r.name);
    if (!m) continue;
    const e = bySeq.get(Number(m[1]));
    if (!e || e.hash !== r.digest.sha256)
      problems.push(`the signed statement names audit entry #${m[1]}, which the bundle ${e ? 'has with another hash' : 'lacks'}`);
    else named.add(e.seq);
  }
  for (const e of b.entries) if (!named.has(e.seq)) problems.push(`audit entry #${e.seq} is bundled but not named by the signed statement`);
  const merged = b.entries
    .filter((e) => named.has(e.seq) && e.action === 'review.merged')
    .flatMap((e) => (e.payload as { hunks?: Array<{ hunkId: string; hunkDigest: string }> } | null)?.hunks ?? []);
  for (const h of b.hunks) {
    const digest = crypto.createHash('sha256').update(JSON.stringify(h.lines)).digest('hex');
    if (digest !== h.hunkDigest) problems.push(`hunk ${h.hunkId} of ${h.path}: its lines do not match its digest`);
    if (!merged.some((m) => m.hunkId === h.hunkId && m.hunkDigest === h.hunkDigest))
      problems.push(`hunk ${h.hunkId} of ${h.path} is not in a signed merge record`);
  }
  return { ok: problems.length === 0, problems, keyId: kid, ...(st ? { statement: st } : {}) };
}
