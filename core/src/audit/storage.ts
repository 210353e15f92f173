// Storage stats and warnings for the audit log: entry counts, file sizes, free disk space against thresholds.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database } from 'better-sqlite3';
import type { AuditStats, AuditVerifyReport, StorageWarning } from '../../../protocol/src/audit';
import type { AuditLogOptions } from './types';

export const DEFAULT_MIN_DISK_FREE = 1024 ** 3;
export const DEFAULT_MAX_DB_BYTES = 2 * 1024 ** 3;

const size = (f: string): number => {
  try {
    return fs.statSync(f).size;
  } catch {
    return 0;
  }
};

export function diskFree(dir: string): number | null {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

export function storageWarnings(
  o: Pick<AuditLogOptions, 'warnings' | 'retention'>,
  dbBytes: number,
  free: number | null,
): StorageWarning[] {
  const out: StorageWarning[] = [];
  const minFree = o.warnings?.minDiskFreeBytes ?? DEFAULT_MIN_DISK_FREE;
  const maxDb = o.warnings?.maxDbBytes ?? (o.retention?.maxBytes ? Math.floor(o.retention.maxBytes * 0.8) : DEFAULT_MAX_DB_BYTES);
  if (free !== null && free < minFree) {
    out.push({
      type: 'disk-free',
      value: free,
      threshold: minFree,
      message: `only ${mib(free)} free on the disk holding the audit log (warning below ${mib(minFree)})`,
    });
  }
  if (dbBytes > maxDb) {
    out.push({
      type: 'db-size',
      value: dbBytes,
      threshold: maxDb,
      message: `the audit log is ${mib(dbBytes)} (warning above ${mib(maxDb)}); set a retention limit or export and archive it`,
    });
  }
  return out;
}

function mib(n: number): string {
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

export function collectStats(
  db: Database,
  o: AuditLogOptions,
  live: { buffered: number; verification: AuditVerifyReport | null; writeError?: StorageWarning },
): AuditStats {
  const b = db.prepare('SELECT min(seq) AS first, max(seq) AS last FROM entries').get() as { first: number | null; last: number | null };
  const t = (seq: number | null) =>
    seq === null ? null : (db.prepare('SELECT time FROM entries WHERE seq = ?').pluck().get(seq) as number);
  const cp = db.prepare('SELECT seq, lower(hex(hash)) AS hash, time FROM checkpoints ORDER BY seq DESC LIMIT 1').get() as
    AuditStats['checkpoint'] | undefined;
  const dbBytes = size(o.dbPath);
  const free = diskFree(path.dirname(o.dbPath));
  const warnings = storageWarnings(o, dbBytes, free);
  if (live.writeError) warnings.push(live.writeError);
  return {
    // The chain is contiguous, so the count is the span (no full scan on a large log).
    entries: b.last === null ? 0 : b.last - (b.first ?? 0) + 1,
    firstSeq: b.first ?? 0,
    lastSeq: b.last ?? 0,
    oldestTime: t(b.first),
    newestTime: t(b.last),
    dbBytes,
    walBytes: size(`${o.dbPath}-wal`),
    diskFreeBytes: free,
    bufferedEntries: live.buffered,
    checkpoint: cp ?? null,
    verification: live.verification,
    warnings,
    dbPath: o.dbPath,
  };
}
