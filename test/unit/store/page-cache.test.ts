// Every SQLite connection the kernel keeps open bounds its page cache to SQLite's own 2 MiB: better-sqlite3's 16 MiB
// default filled as the audit log grew and raised the kernel's RSS by tens of MB over a soak (docs/recovery.md#soak).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Db, openDatabase, PAGE_CACHE_KIB } from '../../../core/src/store/sqlite';
import { WorkflowStore } from '../../../kernel/src/workflow/store';

const cacheKib = (db: Db) => -Number(db.pragma('cache_size', { simple: true }));

describe('SQLite page cache bound', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-pcache-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('openDatabase bounds writers and readers to 2 MiB', () => {
    assert.equal(PAGE_CACHE_KIB, 2048);
    const file = path.join(dir, 'a.db');
    const w = openDatabase(file, { migrations: [{ version: 1, up: (db) => db.exec('CREATE TABLE t (x)') }] });
    const r = openDatabase(file, { readonly: true });
    try {
      assert.equal(cacheKib(w), 2048);
      assert.equal(cacheKib(r), 2048);
    } finally {
      r.close();
      w.close();
    }
  });

  it('the workflow store (its own connection) too', () => {
    const s = new WorkflowStore(path.join(dir, 'workflow.db'));
    try {
      assert.equal(cacheKib((s as unknown as { db: Db }).db), 2048);
    } finally {
      s.dispose();
    }
  });
});
