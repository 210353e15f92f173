// The shared SQLite helper: WAL on open, migrations in order and once, a newer schema refused, gaps rejected.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Migration, openDatabase, schemaVersion } from '../../../core/src/store/sqlite';

describe('store: openDatabase + migrations', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-store-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const m1: Migration = { version: 1, pragmas: ['auto_vacuum = INCREMENTAL'], up: (db) => db.exec('CREATE TABLE t (a INTEGER)') };
  const m2: Migration = { version: 2, up: (db) => db.exec('ALTER TABLE t ADD COLUMN b TEXT') };

  it('creates the folder and file, switches to WAL, applies file pragmas and migrations once', () => {
    const file = path.join(dir, 'sub', 'x.db');
    let db = openDatabase(file, { migrations: [m1] });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('auto_vacuum', { simple: true }), 2);
    assert.equal(schemaVersion(db), 1);
    db.close();
    db = openDatabase(file, { migrations: [m2, m1] });
    assert.equal(schemaVersion(db), 2);
    db.prepare('INSERT INTO t (a, b) VALUES (1, ?)').run('x');
    db.close();
    db = openDatabase(file, { migrations: [m1, m2] });
    assert.equal(db.prepare('SELECT count(*) FROM t').pluck().get(), 1);
    db.close();
  });

  it('refuses a schema newer than the code, numbering gaps, and a missing file when not creating', () => {
    const file = path.join(dir, 'y.db');
    openDatabase(file, { migrations: [m1, m2] }).close();
    assert.throws(
      () => openDatabase(file, { migrations: [m1] }),
      (e: { code?: string }) => e.code === 'STORE_SCHEMA',
    );
    assert.throws(
      () => openDatabase(path.join(dir, 'z.db'), { migrations: [m2] }),
      (e: { code?: string }) => e.code === 'STORE_SCHEMA',
    );
    assert.throws(
      () => openDatabase(path.join(dir, 'none.db'), { readonly: true }),
      (e: { code?: string }) => e.code === 'STORE_OPEN_FAILED',
    );
  });

  it('rolls back a failing migration as a whole', () => {
    const file = path.join(dir, 'w.db');
    const bad: Migration = {
      version: 2,
      up: (db) => {
        db.exec('CREATE TABLE u (a)');
        throw new Error('boom');
      },
    };
    assert.throws(() => openDatabase(file, { migrations: [m1, bad] }), /boom/);
    const db = openDatabase(file, { migrations: [m1] });
    assert.equal(schemaVersion(db), 1);
    assert.equal(db.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = 'u'`).pluck().get(), 0);
    db.close();
  });
});
