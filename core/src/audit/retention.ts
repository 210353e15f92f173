// Retention: prunes the oldest entries by age and by size behind a signed checkpoint, so the rest still verifies.
import * as fs from 'node:fs';
import type { Database } from 'better-sqlite3';
import type { RetentionConfig } from './types';
import { checkpointMac } from './verify';

export interface PruneContext {
  key: Buffer;
  logId: string;
  now: number;
  lastSeq: number;
}

/** Deletes entries up to a cutoff and records (seq, hash) of the last deleted one, HMAC-signed, in the same transaction. */
export function pruneLog(db: Database, ctx: PruneContext, config: RetentionConfig): { pruned: number; checkpointSeq: number | null } {
  const first = db.prepare('SELECT min(seq) FROM entries').pluck().get() as number | null;
  if (first === null) return { pruned: 0, checkpointSeq: null };
  let cutoff = 0;
  if (config.maxAgeMs) {
    cutoff = Math.max(
      cutoff,
      (db
        .prepare('SELECT max(seq) FROM entries WHERE time < ?')
        .pluck()
        .get(ctx.now - config.maxAgeMs) as number | null) ?? 0,
    );
  }
  if (config.maxBytes) {
    const bytes = fs.statSync(db.name).size + (fs.existsSync(`${db.name}-wal`) ? fs.statSync(`${db.name}-wal`).size : 0);
    if (bytes > config.maxBytes) {
      // Prune to 90% of the limit so that every append does not trigger another prune.
      const perEntry = bytes / (ctx.lastSeq - first + 1);
      cutoff = Math.max(cutoff, first - 1 + Math.ceil((bytes - config.maxBytes * 0.9) / perEntry));
    }
  }
  // The newest entry always stays: the signed head anchors to it.
  cutoff = Math.min(cutoff, ctx.lastSeq - 1);
  if (cutoff < first) return { pruned: 0, checkpointSeq: null };
  const hash = db.prepare('SELECT lower(hex(hash)) FROM entries WHERE seq = ?').pluck().get(cutoff) as string;
  const pruned = cutoff - first + 1;
  db.transaction(() => {
    db.prepare('INSERT INTO checkpoints (seq, hash, time, pruned, mac) VALUES (?, unhex(?), ?, ?, unhex(?))').run(
      cutoff,
      hash,
      ctx.now,
      pruned,
      checkpointMac(ctx.key, ctx.logId, cutoff, hash, ctx.now, pruned),
    );
    db.prepare('DELETE FROM entries WHERE seq <= ?').run(cutoff);
    db.prepare('DELETE FROM sessions WHERE last_seq <= ?').run(cutoff);
    db.prepare('UPDATE sessions SET first_seq = ? WHERE first_seq <= ?').run(cutoff + 1, cutoff);
  })();
  db.pragma('incremental_vacuum');
  db.pragma('wal_checkpoint(TRUNCATE)');
  return { pruned, checkpointSeq: cutoff };
}
