// Shared SQLite helper: open a database file in WAL mode and bring its schema up to date with explicit migrations.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { AirlockError } from '../../../protocol/src/errors';
import { takeSnapshotSync } from './snapshots';

export type Db = Database.Database;

/** One schema step; `version` counts up from 1 and is stored in `PRAGMA user_version`. */
export interface Migration {
  version: number;
  /** Run inside a transaction. `pragmas` run before it (version 1's also before WAL is switched on: auto_vacuum). */
  up(db: Db): void;
  pragmas?: string[];
}

export interface OpenOptions {
  readonly?: boolean;
  /** Required for writers; readers check the version instead of migrating. */
  migrations?: readonly Migration[];
  /** `NORMAL` (default) loses no committed transaction on a process crash; `FULL` also survives power loss. */
  synchronous?: 'OFF' | 'NORMAL' | 'FULL';
  busyTimeoutMs?: number;
  /** Create the file (and its folder, 0700) when missing. Default: true unless readonly. */
  create?: boolean;
  /** Snapshot the file (snapshots.ts) before migrating an existing schema. Default: true. */
  snapshotBeforeMigrate?: boolean;
}

/** WAL bounds: a checkpoint every 1000 pages (SQLite's default, stated), and the WAL file cut back to 16 MiB after one. */
export const WAL_AUTOCHECKPOINT_PAGES = 1000;
export const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * Page cache per connection: SQLite's own default, 2 MiB. better-sqlite3 is built with 16 MiB, and a connection's cache
 * fills as its file grows: the kernel's long-lived connections (audit log and its writer, sessions, workflow) grew its
 * RSS with the audit log, by tens of MB over a 10-minute soak (docs/recovery.md#soak). Hot pages stay in the OS cache.
 */
export const PAGE_CACHE_KIB = 2048;

export function boundPageCache(db: Db): void {
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
}

export const STORE_OPEN_FAILED = 'STORE_OPEN_FAILED';
export const STORE_SCHEMA = 'STORE_SCHEMA';

export function openDatabase(file: string, opts: OpenOptions = {}): Db {
  const create = opts.create ?? !opts.readonly;
  if (!create && !fs.existsSync(file)) {
    throw new AirlockError(
      STORE_OPEN_FAILED,
      `no database at ${file}`,
      'check the path (`airlock doctor --json` lists the kernel state files)',
    );
  }
  if (create) fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let db: Db;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: !create });
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    boundPageCache(db);
    // File-format pragmas (auto_vacuum, page_size) only take on a new file, before it switches to WAL.
    const first = opts.migrations?.find((m) => m.version === 1);
    if (!opts.readonly && first?.pragmas && schemaVersion(db) === 0) for (const p of first.pragmas) db.pragma(p);
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
      db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    }
  } catch (e) {
    throw new AirlockError(
      STORE_OPEN_FAILED,
      `cannot open ${file}: ${(e as Error).message}`,
      'the file may be damaged or not an SQLite database; keep it for inspection',
    );
  }
  try {
    const before =
      opts.snapshotBeforeMigrate === false
        ? undefined
        : (from: number) => {
            takeSnapshotSync(db, file, `pre-migrate-v${from}`);
          };
    if (opts.migrations) migrate(db, opts.migrations, before);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/** Applies every migration newer than `user_version`, each in its own transaction; refuses a newer schema.
 * `before` runs once before migrating an existing schema (version > 0): the snapshot a failed upgrade falls back to. */
export function migrate(db: Db, migrations: readonly Migration[], before?: (from: number) => void): number {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new AirlockError(STORE_SCHEMA, `migrations must be numbered 1..n without gaps (found ${m.version} at ${i + 1})`);
  });
  const target = sorted.length;
  const current = schemaVersion(db);
  if (current > target) {
    throw new AirlockError(
      STORE_SCHEMA,
      `database schema ${current} is newer than this build understands (${target})`,
      'update Airlock, or open the file with the version that wrote it',
    );
  }
  if (current > 0 && current < target) before?.(current);
  for (const m of sorted.slice(current)) {
    for (const p of m.pragmas ?? []) db.pragma(p);
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return target;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}
