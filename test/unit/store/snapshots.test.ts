// Snapshots (online backup, before a migration, retention) and WAL upkeep (periodic snapshot, TRUNCATE checkpoint when idle).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Migration, openDatabase } from '../../../core/src/store/sqlite';
import { listSnapshots, SNAPSHOTS_KEPT, takeSnapshot } from '../../../core/src/store/snapshots';
import { checkpointTruncate, StoreMaintenance } from '../../../kernel/src/store/maintenance';

const m1: Migration = { version: 1, up: (db) => db.exec('CREATE TABLE t (x TEXT)') };
const m2: Migration = { version: 2, up: (db) => db.exec('ALTER TABLE t ADD COLUMN y TEXT') };
const file = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-snap-')), 'x.db');

describe('store snapshots and WAL upkeep', function () {
  this.timeout(20_000);

  it('snapshots an existing schema before migrating it (not a new file), with the rows as they were', () => {
    const f = file();
    const db = openDatabase(f, { migrations: [m1] });
    assert.deepEqual(listSnapshots(f), [], 'a new file has nothing to keep');
    db.prepare('INSERT INTO t VALUES (?)').run('before');
    db.close();
    openDatabase(f, { migrations: [m1, m2] }).close();
    const [s] = listSnapshots(f);
    assert.equal(s.reason, 'pre-migrate-v1');
    const old = openDatabase(s.file, { readonly: true });
    assert.equal(old.pragma('user_version', { simple: true }), 1);
    assert.deepEqual(old.prepare('SELECT * FROM t').all(), [{ x: 'before' }]);
    old.close();
  });

  it('keeps the newest few snapshots and never leaves a partial one', async () => {
    const f = file();
    const db = openDatabase(f, { migrations: [m1] });
    db.prepare('INSERT INTO t VALUES (?)').run('a');
    for (let i = 0; i < SNAPSHOTS_KEPT + 3; i++) await takeSnapshot(f, 'periodic', { now: 1_700_000_000_000 + i * 1000 });
    db.close();
    const kept = listSnapshots(f);
    assert.equal(kept.length, SNAPSHOTS_KEPT);
    assert.equal(kept[0].at, 1_700_000_000_000 + (SNAPSHOTS_KEPT + 2) * 1000, 'newest first');
    assert.deepEqual(
      fs.readdirSync(path.dirname(kept[0].file)).filter((n) => n.endsWith('.tmp')),
      [],
    );
  });

  it('TRUNCATE checkpoints bring the WAL back to zero while the store stays open', () => {
    const f = file();
    const db = openDatabase(f, { migrations: [m1] });
    const ins = db.prepare('INSERT INTO t VALUES (?)');
    for (let i = 0; i < 200; i++) ins.run('w'.repeat(2000));
    assert.ok(fs.statSync(`${f}-wal`).size > 100_000);
    const r = checkpointTruncate(f);
    assert.deepEqual(r, { busy: false, walBytes: 0 });
    assert.equal((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 200);
    db.close();
  });

  it('upkeep snapshots a changed store once per interval and checkpoints only when no task is busy', async () => {
    const f = file();
    const db = openDatabase(f, { migrations: [m1] });
    const ins = db.prepare('INSERT INTO t VALUES (?)');
    for (let i = 0; i < 50; i++) ins.run('w'.repeat(2000));
    let busy = true;
    let now = Date.now();
    const m = new StoreMaintenance([{ name: 'x', file: f, version: 1, tables: ['t'] }], {
      busy: () => busy,
      now: () => now,
      snapshotEveryMs: 3_600_000,
    });
    try {
      await m.tick();
      assert.equal(listSnapshots(f).length, 1);
      assert.ok(fs.statSync(`${f}-wal`).size > 0, 'no checkpoint while a task is busy');
      now += 60_000;
      ins.run('more');
      await m.tick();
      assert.equal(listSnapshots(f).length, 1, 'not again within the hour');
      busy = false;
      now += 3_600_000;
      await m.tick();
      assert.equal(listSnapshots(f).length, 2, 'changed and an hour later: a new snapshot');
      assert.equal(fs.statSync(`${f}-wal`).size, 0, 'idle: WAL truncated');
      now += 3_600_000;
      await m.tick();
      assert.equal(listSnapshots(f).length, 2, 'unchanged: no new snapshot');
    } finally {
      m.dispose();
      db.close();
    }
  });
});
