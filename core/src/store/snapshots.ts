// Snapshots of a SQLite store: online backups (periodic) or VACUUM INTO (before a migration), kept with retention.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { AirlockError } from '../../../protocol/src/errors';

/** Snapshots kept per store (the oldest beyond this are deleted after each new one). */
export const SNAPSHOTS_KEPT = 5;
export const STORE_SNAPSHOT_FAILED = 'STORE_SNAPSHOT_FAILED';

export interface Snapshot {
  file: string;
  /** Epoch ms when it was taken. */ at: number;
  reason: string;
}

/** `<state>/snapshots/<store name>/`: beside the store, on the same volume, so a restore is a rename. */
export function snapshotsDir(dbFile: string): string {
  return path.join(path.dirname(dbFile), 'snapshots', path.basename(dbFile, '.db'));
}

const NAME = /^(\d{13})-([a-z0-9-]{1,40})\.db$/;

/** Newest first; files that are not snapshots (temp files of an interrupted backup) are ignored. */
export function listSnapshots(dbFile: string): Snapshot[] {
  const dir = snapshotsDir(dbFile);
  if (!fs.existsSync(dir)) return [];
  const out: Snapshot[] = [];
  for (const n of fs.readdirSync(dir)) {
    const m = NAME.exec(n);
    if (m) out.push({ file: path.join(dir, n), at: Number(m[1]), reason: m[2] });
  }
  return out.sort((a, b) => b.at - a.at);
}

function target(dbFile: string, reason: string, at: number): { file: string; tmp: string } {
  const dir = snapshotsDir(dbFile);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const safe =
    reason
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .slice(0, 40) || 'manual';
  // Two snapshots in the same millisecond (tests, a migration right after a backup) must not overwrite each other.
  let t = at;
  while (fs.existsSync(path.join(dir, `${t}-${safe}.db`))) t++;
  const file = path.join(dir, `${t}-${safe}.db`);
  return { file, tmp: `${file}.tmp` };
}

function failed(dbFile: string, e: unknown): AirlockError {
  return new AirlockError(
    STORE_SNAPSHOT_FAILED,
    `cannot snapshot ${dbFile}: ${(e as Error).message}`,
    'check free space on the state volume (`airlock doctor`); the store itself is unchanged',
  );
}

/** Online backup through its own read connection (page by page, so the kernel keeps serving), written to a temp file and
 * renamed: a snapshot on disk is always complete. */
export async function takeSnapshot(dbFile: string, reason: string, o: { keep?: number; now?: number } = {}): Promise<Snapshot> {
  const at = o.now ?? Date.now();
  const { file, tmp } = target(dbFile, reason, at);
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    await db.backup(tmp);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw failed(dbFile, e);
  } finally {
    db.close();
  }
  pruneSnapshots(dbFile, o.keep ?? SNAPSHOTS_KEPT);
  return { file, at: Number(NAME.exec(path.basename(file))![1]), reason };
}

/** Synchronous snapshot of an open connection (VACUUM INTO): used right before a migration, inside openDatabase. */
export function takeSnapshotSync(db: Database.Database, dbFile: string, reason: string, keep = SNAPSHOTS_KEPT): Snapshot {
  const { file, tmp } = target(dbFile, reason, Date.now());
  try {
    fs.rmSync(tmp, { force: true });
    db.prepare('VACUUM INTO ?').run(tmp);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw failed(dbFile, e);
  }
  pruneSnapshots(dbFile, keep);
  return { file, at: Number(NAME.exec(path.basename(file))![1]), reason };
}

export function pruneSnapshots(dbFile: string, keep: number): string[] {
  const removed: string[] = [];
  for (const s of listSnapshots(dbFile).slice(keep)) {
    fs.rmSync(s.file, { force: true });
    removed.push(s.file);
  }
  return removed;
}
