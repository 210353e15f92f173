// Health check of one SQLite store file: a lost write-ahead log, quick_check, schema version and tables, its own chain.
import * as fs from 'node:fs';
import * as os from 'node:os';
import Database from 'better-sqlite3';

/** What the kernel knows about a store it owns. */
export interface StoreSpec {
  /** Short name: `workflow`, `sessions`. */
  name: string;
  file: string;
  /** The newest `user_version` this build writes (0 for a store without migrations). */
  version: number;
  /** Tables a store at `version` has (a file at that version without them was damaged or is another file). */
  tables: readonly string[];
  /** The store's own consistency check (a hash chain): throws with why when it does not hold. */
  verify?(file: string): void;
}

/** `manual`: `airlock state restore` put a snapshot back on request. */
export type StoreProblem = 'unreadable' | 'corrupt' | 'schema' | 'chain' | 'wal-lost' | 'manual';

export type CheckResult =
  | { ok: true; version: number; bytes: number }
  | { ok: false; problem: StoreProblem; message: string; /** wal-lost: committed WAL frames not in the main file. */ lostFrames?: number };

/**
 * The `-shm` index of a WAL database outlives a crash together with its `-wal`. An index saying frames were committed
 * past the last checkpoint (mxFrame > nBackfill) with no `-wal` beside it means those transactions are gone: SQLite would
 * open the main file without a word. Must run before anything opens the file (opening rewrites the index).
 */
export function lostWalFrames(file: string): number {
  const shm = `${file}-shm`;
  if (fs.existsSync(`${file}-wal`) || !fs.existsSync(shm)) return 0;
  const buf = Buffer.alloc(100);
  const fd = fs.openSync(shm, 'r');
  try {
    if (fs.readSync(fd, buf, 0, 100, 0) < 100) return 0;
  } finally {
    fs.closeSync(fd);
  }
  // WalIndexHdr (48 bytes, native byte order): mxFrame at 16; WalCkptInfo follows both header copies: nBackfill at 96.
  const le = os.endianness() === 'LE';
  const mxFrame = le ? buf.readUInt32LE(16) : buf.readUInt32BE(16);
  const backfill = le ? buf.readUInt32LE(96) : buf.readUInt32BE(96);
  return mxFrame > backfill ? mxFrame - backfill : 0;
}

export function checkStoreFile(spec: StoreSpec): CheckResult {
  if (!fs.existsSync(spec.file)) return { ok: true, version: 0, bytes: 0 };
  const lost = lostWalFrames(spec.file);
  if (lost > 0) {
    return {
      ok: false,
      problem: 'wal-lost',
      lostFrames: lost,
      message: `its write-ahead log is missing: ${lost} page write(s) committed after the last checkpoint are gone`,
    };
  }
  let db: Database.Database;
  try {
    db = new Database(spec.file, { fileMustExist: true });
  } catch (e) {
    return { ok: false, problem: 'unreadable', message: (e as Error).message };
  }
  let version = 0;
  try {
    const rows = db.pragma('quick_check(20)') as { quick_check: string }[];
    const bad = rows.map((r) => r.quick_check).filter((m) => m !== 'ok');
    if (bad.length) return { ok: false, problem: 'corrupt', message: `quick_check: ${bad.slice(0, 3).join('; ')}` };
    version = db.pragma('user_version', { simple: true }) as number;
    if (version > spec.version || version < 0) {
      return { ok: false, problem: 'schema', message: `schema version ${version}; this build knows versions up to ${spec.version}` };
    }
    const have = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name),
    );
    const missing = spec.tables.filter((t) => !have.has(t));
    // A new file (no tables at all) is fine; a store at its current version without its tables is not.
    if (missing.length && (have.size > 0 || version > 0) && version === spec.version) {
      return { ok: false, problem: 'schema', message: `schema version ${version} but table(s) ${missing.join(', ')} missing` };
    }
  } catch (e) {
    // SQLITE_CORRUPT / SQLITE_NOTADB surface as exceptions from the first read of a damaged file.
    return { ok: false, problem: 'corrupt', message: (e as Error).message };
  } finally {
    db.close();
  }
  if (spec.verify) {
    try {
      spec.verify(spec.file);
    } catch (e) {
      return { ok: false, problem: 'chain', message: (e as Error).message };
    }
  }
  return { ok: true, version, bytes: fs.statSync(spec.file).size };
}

/** Row counts per table, or undefined where the file cannot be read (used to say what a restore lost). */
export function tableCounts(file: string): Record<string, number> | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
    const names = rows.map((r) => r.name);
    return Object.fromEntries(
      names.map((n) => [n, (db!.prepare(`SELECT count(*) AS n FROM "${n.replace(/"/g, '""')}"`).get() as { n: number }).n]),
    );
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}
