// Audit database schema: explicit migrations and the exact table definitions verification expects.
import type { Migration } from '../store/sqlite';

export const ENTRIES_SQL = `CREATE TABLE entries (
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  session TEXT NOT NULL,
  subject TEXT NOT NULL,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  decision TEXT NOT NULL,
  rule_ids TEXT NOT NULL,
  payload_digest BLOB NOT NULL,
  payload TEXT,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL
) STRICT`;

export const CHECKPOINTS_SQL = `CREATE TABLE checkpoints (
  seq INTEGER PRIMARY KEY,
  hash BLOB NOT NULL,
  time INTEGER NOT NULL,
  pruned INTEGER NOT NULL,
  mac BLOB NOT NULL
) STRICT`;

export const AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    // No secondary indexes (each one halves the append rate): time never decreases along the chain, so time ranges map
    // to seq ranges (query.ts); `sessions` keeps each session's seq span, updated once per flush, not per row.
    // Incremental vacuum lets retention hand freed pages back to the disk without a full VACUUM.
    pragmas: ['auto_vacuum = INCREMENTAL'],
    up(db) {
      db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID;
        ${ENTRIES_SQL};
        CREATE TABLE sessions (session TEXT PRIMARY KEY, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL) STRICT, WITHOUT ROWID;
        ${CHECKPOINTS_SQL};`);
    },
  },
];

export const AUDIT_SCHEMA_VERSION = AUDIT_MIGRATIONS.length;

/** Column order used by inserts and verification. */
