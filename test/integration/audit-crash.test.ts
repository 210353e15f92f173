// Crash safety: a writer killed with SIGKILL mid-stream loses no acknowledged synchronous entry and leaves a valid chain.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuditLog } from '../../core/src/audit/log';
import { HeadWriter, readHead } from '../../core/src/audit/head';
import { loadAuditKey } from '../../core/src/audit/key';
import { verifyAuditLog } from '../../core/src/audit/verify';
import { type LogFiles, populatedLog, rmLog, tempLog, withDb } from './audit-fixture';

const LOG_TS = path.join(__dirname, '..', '..', 'core', 'src', 'audit', 'log.ts');

/** The child: 8 concurrent synchronous writers plus a buffered stream; prints each sync seq once it is durable. */
const CHILD = `
const { AuditLog } = require(${JSON.stringify(LOG_TS)});
const log = AuditLog.open(JSON.parse(process.argv[1]));
let n = 0;
for (let w = 0; w < 8; w++) (async () => {
  for (;;) {
    const id = 'w' + w + '-' + (n++);
    const e = await log.append({ subject: 'policy', action: 'policy.decision', decision: 'allow', resource: id }, { sync: true });
    process.stdout.write(e.seq + ' ' + id + '\\n');
  }
})();
setInterval(() => { for (let i = 0; i < 50; i++) log.append({ subject: 'agent', action: 'tool.call', resource: 'buffered' }); }, 1);
`;

function runAndKill(files: LogFiles, acks: number): Promise<Map<number, string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', CHILD, JSON.stringify(files)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked = new Map<number, string>();
    let buf = '';
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const [seq, id] = buf.slice(0, i).split(' ');
        buf = buf.slice(i + 1);
        acked.set(Number(seq), id);
      }
      if (acked.size >= acks && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`writer exited ${code}: ${err}`));
    });
  });
}

describe('audit crash safety', function () {
  this.timeout(120_000);
  const made: LogFiles[] = [];
  after(() => {
    for (const f of made) rmLog(f);
  });

  it('SIGKILL mid-stream, three times over: chain intact, every acknowledged synchronous entry present', async () => {
    const files = tempLog();
    made.push(files);
    const all = new Map<number, string>();
    for (let round = 0; round < 3; round++) {
      const acked = await runAndKill(files, 300);
      assert.ok(acked.size >= 300);
      for (const [k, v] of acked) all.set(k, v);
      const r = await verifyAuditLog(files);
      assert.equal(r.type, 'intact', JSON.stringify(r));
      // Reopening recovers whatever the kill interrupted and keeps appending to the same chain.
      const log = AuditLog.open(files);
      assert.equal(log.broken, false, JSON.stringify(log.verification));
      log.append({ subject: 'kernel', action: 'kernel.start' });
      log.dispose();
    }
    withDb(files, (db) => {
      const get = db.prepare('SELECT resource, action FROM entries WHERE seq = ?');
      for (const [seq, id] of all)
        assert.deepEqual(get.get(seq), { resource: id, action: 'policy.decision' }, `acknowledged entry ${seq} lost`);
    });
    assert.equal((await verifyAuditLog(files)).type, 'intact');
  });

  it('verifies a crash between commit and finalising the head (pending = tail), and one before the commit', async () => {
    const files = await populatedLog(50);
    made.push(files);
    const key = loadAuditKey(files.keyPath);
    const h = readHead(files.headPath, key);
    assert.equal(h.type, 'ok');
    const head = (h as Extract<typeof h, { type: 'ok' }>).head;
    const prev = withDb(
      files,
      (db) => db.prepare('SELECT seq, lower(hex(hash)) AS hash FROM entries WHERE seq = 49').get() as { seq: number; hash: string },
    );
    // Committed in the database, head still says "pending".
    let w = new HeadWriter(files.headPath, key, head);
    w.write({ logId: head.logId, committed: prev, pending: head.committed }, true);
    w.dispose();
    const r = await verifyAuditLog(files);
    assert.deepEqual([r.type, (r as { recovered?: boolean }).recovered], ['intact', true]);
    // Head written as pending, then the commit never happened.
    const h2 = (readHead(files.headPath, key) as { head: typeof head }).head;
    w = new HeadWriter(files.headPath, key, h2);
    w.write({ logId: head.logId, committed: head.committed, pending: { seq: 60, hash: 'cd'.repeat(32) } }, true);
    w.dispose();
    assert.equal((await verifyAuditLog(files)).type, 'intact');
    // Opening finalises the head: the pending state is gone, so removing the last entry is now caught.
    AuditLog.open(files).dispose();
    assert.equal((readHead(files.headPath, key) as { head: typeof head }).head.pending, null);
    withDb(files, (db) => db.prepare('DELETE FROM entries WHERE seq = 50').run());
    const t = await verifyAuditLog(files);
    assert.deepEqual([t.type, (t as { reason?: string }).reason], ['tampered', 'truncated']);
  });

  it('power loss leaving the head file behind: the head signed into the database vouches for the tail; forgeries still fail', async () => {
    const files = await populatedLog(40);
    made.push(files);
    const stale = fs.readFileSync(files.headPath);
    const log = AuditLog.open(files);
    for (let i = 0; i < 5; i++) await log.append({ subject: 'policy', action: 'policy.decision', resource: `late${i}` }, { sync: true });
    log.dispose();
    // The head file's last writes never reached the disk; the database's did.
    fs.writeFileSync(files.headPath, stale);
    const r = await verifyAuditLog(files);
    assert.deepEqual([r.type, (r as { recovered?: boolean }).recovered], ['intact', true], JSON.stringify(r));
    // Without the key, rows appended after that cannot carry a matching signed database head.
    withDb(files, (db) => db.prepare(`UPDATE meta SET value = json_set(value, '$.seq', 46) WHERE key = 'db_head'`).run());
    const t = await verifyAuditLog(files);
    assert.deepEqual([t.type, (t as { reason?: string }).reason], ['tampered', 'unsigned-tail']);
  });
});
