// Opening the audit chain: the log's id, its committed tail, and the signed head checked against it (a crash finalised).
import * as crypto from 'node:crypto';
import type { AuditVerifyReport } from '../../../protocol/src/audit';
import type { Db } from '../store/sqlite';
import { genesisHash } from './canonical';
import { type ChainPoint, HeadWriter, readHead, type SignedHead } from './head';
import { compareHead, readDbHead, Tampered } from './verify';

export interface OpenedChain {
  logId: string;
  /** What the database holds: the newest entry, else the newest checkpoint, else the genesis. */
  committed: ChainPoint;
  /** The newest entry's time (0 when none): appends never go back in time. */
  lastTime: number;
  /** The signed head's counter as last written (the writer alternates slots by it). */
  headCounter: number;
  /** A damaged chain opens `broken` rather than throwing, so it is kept for inspection; null when the head matched. */
  verification: AuditVerifyReport | null;
}

interface Opening {
  db: Db;
  key: Buffer;
  logId: string;
  headPath: string;
  committed: ChainPoint;
}

/** Reads the chain's tail and checks the signed head against it; throws only what is not evidence of tampering. */
export function openChain(db: Db, key: Buffer, headPath: string): OpenedChain {
  const logId = (db.prepare(`SELECT value FROM meta WHERE key = 'log_id'`).pluck().get() as string) ?? createLogId(db);

  const cp = db.prepare('SELECT seq, lower(hex(hash)) AS hash FROM checkpoints ORDER BY seq DESC LIMIT 1').get() as
    { seq: number; hash: string } | undefined;
  const tail = db.prepare('SELECT seq, lower(hex(hash)) AS hash, time FROM entries ORDER BY seq DESC LIMIT 1').get() as
    { seq: number; hash: string; time: number } | undefined;
  const committed = tail ? { seq: tail.seq, hash: tail.hash } : (cp ?? { seq: 0, hash: genesisHash(logId) });
  const existing = readHead(headPath, key);
  const head = new HeadWriter(headPath, key, existing.type === 'ok' ? existing.head : undefined);
  let verification: AuditVerifyReport | null;
  try {
    verification = checkHeadAtOpen(
      { db, key, logId, headPath, committed },
      head,
      existing.type === 'ok' ? existing.head : existing.type,
      !tail && !cp,
      cp ?? { seq: 0, hash: genesisHash(logId) },
    );
  } finally {
    head.dispose();
  }
  return { logId, committed, lastTime: tail?.time ?? 0, headCounter: head.lastCounter, verification };
}

function checkHeadAtOpen(
  o: Opening,
  writer: HeadWriter,
  head: SignedHead | 'missing' | 'bad-signature',
  empty: boolean,
  base: ChainPoint,
): AuditVerifyReport | null {
  if (head === 'missing') {
    if (empty) {
      writer.write({ logId: o.logId, committed: o.committed, pending: null }, true);
      return null;
    }
    return { type: 'tampered', reason: 'head-missing', message: `the signed head ${o.headPath} is missing`, ms: 0 };
  }
  if (head === 'bad-signature') {
    return { type: 'tampered', reason: 'head-signature', message: 'the signed head does not match the audit key', ms: 0 };
  }
  try {
    if (head.logId !== o.logId) throw new Tampered('wrong-log', 'the signed head belongs to another log');
    compareHead(head, o.committed, {
      dbHead: readDbHead(o.db, o.key, o.logId),
      hashAt: (seq) =>
        seq === base.seq
          ? base.hash
          : (o.db.prepare('SELECT lower(hex(hash)) FROM entries WHERE seq = ?').pluck().get(seq) as string | undefined),
    });
    // Finalise what a crash left pending or behind (either way the tail is now the committed head).
    if (head.pending || head.committed.seq !== o.committed.seq)
      writer.write({ logId: o.logId, committed: o.committed, pending: null }, true);
    return null;
  } catch (e) {
    if (!(e instanceof Tampered)) throw e;
    return { type: 'tampered', reason: e.reason, seq: e.seq, message: e.message, ms: 0 };
  }
}

function createLogId(db: Db): string {
  const id = crypto.randomBytes(16).toString('hex');
  db.prepare(`INSERT INTO meta (key, value) VALUES ('log_id', ?)`).run(id);
  return id;
}
