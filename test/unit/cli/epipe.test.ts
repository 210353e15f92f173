// `airlock audit export | head -1`: the built CLI exits quietly when its reader closes the pipe early (no EPIPE stack).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { AUDIT_MIGRATIONS } from '../../../core/src/audit/schema';
import { migrate } from '../../../core/src/store/sqlite';
import { buildCli, spawnCli } from './built-cli';

/** An audit database whose jsonl export is far larger than a pipe's buffer (64 KiB), so writes go on after the close. */
function auditDb(entries: number): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-epipe-')), 'audit.db');
  const db = new Database(file);
  migrate(db, AUDIT_MIGRATIONS);
  const ins = db.prepare(`INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,zeroblob(32),?,zeroblob(32),zeroblob(32))`);
  db.transaction(() => {
    for (let i = 1; i <= entries; i++)
      ins.run(i, 1000 + i, 's1', 'agent', 'tool.call', `src/some/longer/path/file${i}.ts`, 'allow', '["r"]', null);
  })();
  db.close();
  return file;
}

describe('CLI: a reader that closes early', function () {
  this.timeout(60_000);
  before(() => buildCli());

  it('audit export piped into a reader that takes one line exits 0 without an EPIPE stack', async () => {
    const db = auditDb(20_000);
    const child = spawnCli(['audit', 'export', '--format', 'jsonl', '--db', db]);
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const first = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString('utf8'))));
    child.stdout!.destroy(); // like `head -1` after its first line
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (c, s) => r([c, s])));
    assert.match(first.split('\n')[0], /^\{"seq":1,/);
    assert.equal(stderr, '', 'nothing on stderr');
    assert.deepEqual([code, signal], [0, null]);
  });
});
