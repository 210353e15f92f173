// Tamper suite on real database files: every kind of edit is caught by `airlock audit verify` and at kernel start.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { AuditVerifyReport } from '../../protocol/src/audit';
import { entryHash, genesisHash } from '../../core/src/audit/canonical';
import { AUDIT_BROKEN, AuditLog } from '../../core/src/audit/log';
import { KernelAudit } from '../../kernel/src/audit/startup';
import { verifyAuditLog } from '../../core/src/audit/verify';
import { cli, copyLog, type LogFiles, populatedLog, rmLog, withDb } from './audit-fixture';

const N = 1000;

describe('audit tamper suite', function () {
  this.timeout(60_000);
  let clean: LogFiles;
  const made: LogFiles[] = [];
  before(async () => {
    clean = await populatedLog(N);
  });
  after(() => {
    for (const f of [clean, ...made]) rmLog(f);
  });

  function fresh(): LogFiles {
    const f = copyLog(clean);
    made.push(f);
    return f;
  }

  /** Detected three ways: the verifier, the CLI (exit 1, names the entry) and the kernel's start-up gate. */
  async function expectTampered(f: LogFiles, reason: string, seq?: number): Promise<void> {
    const r = await verifyAuditLog(f);
    assert.equal(r.type, 'tampered', JSON.stringify(r));
    const t = r as Extract<AuditVerifyReport, { type: 'tampered' }>;
    assert.equal(t.reason, reason, t.message);
    if (seq !== undefined) assert.equal(t.seq, seq, t.message);
    // Split over worker threads, the first bad entry is the same.
    const split = await verifyAuditLog({ ...f, workers: 3 });
    assert.deepEqual({ ...split, ms: 0 }, { ...r, ms: 0 });
    const c = await cli(['audit', 'verify', '--db', f.dbPath, '--key', f.keyPath]);
    assert.equal(c.code, 1, c.out + c.err);
    assert.match(c.out, /TAMPERED/);
    if (seq !== undefined) assert.match(c.out, new RegExp(`at entry ${seq}\\b`));
    const k = await KernelAudit.start(f);
    try {
      assert.equal(k.sessionsAllowed, false);
      assert.throws(
        () => k.assertSessionsAllowed(),
        (e: { code?: string }) => e.code === AUDIT_BROKEN,
      );
      if (k.log)
        assert.throws(
          () => k.log!.append({ subject: 'agent', action: 'tool.call' }),
          (e: { code?: string }) => e.code === AUDIT_BROKEN,
        );
    } finally {
      k.dispose();
    }
    // The damaged database is kept as it was for inspection.
    const again = await verifyAuditLog(f);
    assert.equal(again.type, 'tampered');
  }

  it('accepts the untouched log (CLI exit 0, kernel allows sessions)', async () => {
    const f = fresh();
    const c = await cli(['audit', 'verify', '--db', f.dbPath, '--key', f.keyPath]);
    assert.equal(c.code, 0, c.out + c.err);
    assert.match(c.out, new RegExp(`intact: ${N} entries`));
    const k = await KernelAudit.start(f);
    assert.equal(k.sessionsAllowed, true);
    k.dispose();
    assert.equal((await verifyAuditLog(f)).type, 'intact');
    assert.equal((await verifyAuditLog({ ...f, workers: 3 })).type, 'intact');
  });

  it('finds a deleted row at a worker range boundary', async () => {
    for (const seq of [334, 335]) {
      const f = fresh();
      withDb(f, (db) => db.prepare('DELETE FROM entries WHERE seq = ?').run(seq));
      const r = await verifyAuditLog({ ...f, workers: 3 });
      assert.deepEqual([r.type, (r as { seq?: number }).seq], ['tampered', seq], JSON.stringify(r));
    }
  });

  it('edit a field', async () => {
    const f = fresh();
    withDb(f, (db) => db.prepare(`UPDATE entries SET decision = 'allow' WHERE seq = 500`).run());
    await expectTampered(f, 'hash-mismatch', 500);
  });

  it('edit a payload', async () => {
    const f = fresh();
    withDb(f, (db) => db.prepare(`UPDATE entries SET payload = '{"i":1}' WHERE seq = 321`).run());
    await expectTampered(f, 'hash-mismatch', 321);
  });

  it('delete a row', async () => {
    const f = fresh();
    withDb(f, (db) => db.prepare('DELETE FROM entries WHERE seq = 400').run());
    await expectTampered(f, 'sequence-gap', 400);
  });

  it('swap two rows', async () => {
    const f = fresh();
    withDb(f, (db) =>
      db.transaction(() => {
        db.prepare('UPDATE entries SET seq = -1 WHERE seq = 300').run();
        db.prepare('UPDATE entries SET seq = 300 WHERE seq = 301').run();
        db.prepare('UPDATE entries SET seq = 301 WHERE seq = -1').run();
      })(),
    );
    await expectTampered(f, 'hash-mismatch', 300);
  });

  it('insert a forged row in the middle (renumbering the rest)', async () => {
    const f = fresh();
    withDb(f, (db) =>
      db.transaction(() => {
        db.prepare('UPDATE entries SET seq = -seq WHERE seq > 600').run();
        db.prepare('UPDATE entries SET seq = 1 - seq WHERE seq < 0').run();
        const prev = db.prepare('SELECT lower(hex(hash)) FROM entries WHERE seq = 600').pluck().get() as string;
        forge(db, 601, prev);
      })(),
    );
    await expectTampered(f, 'hash-mismatch', 602);
  });

  it('insert a forged row at the end, with a correct chain hash', async () => {
    const f = fresh();
    withDb(f, (db) => forge(db, N + 1, db.prepare('SELECT lower(hex(hash)) FROM entries WHERE seq = ?').pluck().get(N) as string));
    await expectTampered(f, 'unsigned-tail', N + 1);
  });

  it('truncate the tail', async () => {
    const f = fresh();
    withDb(f, (db) => db.prepare('DELETE FROM entries WHERE seq > 900').run());
    await expectTampered(f, 'truncated', 901);
  });

  it('delete the head of the log', async () => {
    const f = fresh();
    withDb(f, (db) => db.prepare('DELETE FROM entries WHERE seq <= 10').run());
    await expectTampered(f, 'bad-start', 11);
  });

  it('replace the whole file with a self-consistent forged chain', async () => {
    const f = fresh();
    withDb(f, (db) =>
      db.transaction(() => {
        const logId = db.prepare(`SELECT value FROM meta WHERE key = 'log_id'`).pluck().get() as string;
        db.prepare(`UPDATE entries SET decision = 'allow' WHERE decision = 'deny'`).run();
        let prev = genesisHash(logId);
        const rows = db
          .prepare(
            `SELECT seq, time, session, subject, action, resource, decision, rule_ids AS ruleIds, lower(hex(payload_digest)) AS payloadDigest, payload FROM entries ORDER BY seq`,
          )
          .all() as Parameters<typeof entryHash>[1][];
        const upd = db.prepare('UPDATE entries SET prev_hash = unhex(?), hash = unhex(?) WHERE seq = ?');
        for (const r of rows) {
          const h = entryHash(prev, r);
          upd.run(prev, h, r.seq);
          prev = h;
        }
      })(),
    );
    // Internally consistent: only the signed head, which needs the key, gives it away.
    await expectTampered(f, 'head-mismatch', N);
  });

  it('replace the whole file with another log', async () => {
    const f = fresh();
    const other = await populatedLog(50);
    made.push(other);
    fs.copyFileSync(other.dbPath, f.dbPath);
    await expectTampered(f, 'wrong-log');
  });

  it('corrupt bytes inside a row', async () => {
    const f = fresh();
    const bytes = fs.readFileSync(f.dbPath);
    const at = bytes.indexOf(Buffer.from('src/f777.ts'));
    assert.ok(at > 0, 'row text found in the file');
    bytes[at + 5] = 'X'.charCodeAt(0);
    fs.writeFileSync(f.dbPath, bytes);
    await expectTampered(f, 'hash-mismatch', 777);
  });

  it('corrupt the file header', async () => {
    const f = fresh();
    const fd = fs.openSync(f.dbPath, 'r+');
    fs.writeSync(fd, Buffer.alloc(100, 0x41), 0, 100, 0);
    fs.closeSync(fd);
    await expectTampered(f, 'corrupt');
  });

  it('corrupt a b-tree page', async () => {
    const f = fresh();
    const size = fs.statSync(f.dbPath).size;
    const fd = fs.openSync(f.dbPath, 'r+');
    // Garbage over the middle pages of the table: structure damage, not just a changed value.
    fs.writeSync(fd, Buffer.alloc(8192, 0xff), 0, 8192, Math.floor(size / 4096 / 2) * 4096);
    fs.closeSync(fd);
    const r = await verifyAuditLog(f);
    assert.equal(r.type, 'tampered', JSON.stringify(r));
    assert.equal((await cli(['audit', 'verify', '--db', f.dbPath, '--key', f.keyPath])).code, 1);
  });

  it('edit or delete the signed head, or verify with another key', async () => {
    const a = fresh();
    const head = fs.readFileSync(a.headPath);
    head[head.indexOf(Buffer.from('"seq":')) + 6] ^= 1;
    head[512 + head.subarray(512).indexOf(Buffer.from('"seq":')) + 6] ^= 1;
    fs.writeFileSync(a.headPath, head);
    await expectTampered(a, 'head-signature');
    const b = fresh();
    fs.rmSync(b.headPath);
    await expectTampered(b, 'head-missing');
    const c = fresh();
    fs.writeFileSync(c.keyPath, 'ab'.repeat(32) + '\n');
    await expectTampered(c, 'head-signature');
  });

  it('reports unusable (exit 2) for a missing database or key', async () => {
    const f = fresh();
    assert.equal((await cli(['audit', 'verify', '--db', `${f.dbPath}.nope`, '--key', f.keyPath])).code, 2);
    assert.equal((await cli(['audit', 'verify', '--db', f.dbPath, '--key', `${f.keyPath}.nope`])).code, 2);
    // Opening a log whose key is gone never creates a new key over it.
    fs.rmSync(f.keyPath);
    const k = await KernelAudit.start(f);
    assert.equal(k.sessionsAllowed, false);
    assert.equal(k.report?.type, 'unusable');
    k.dispose();
    assert.equal(fs.existsSync(f.keyPath), false);
  });

  it('delete the database and its head: the kernel refuses to start over while the key remains', async () => {
    const f = fresh();
    fs.rmSync(f.dbPath);
    fs.rmSync(f.headPath);
    for (let i = 0; i < 2; i++) {
      const k = await KernelAudit.start(f);
      assert.equal(k.sessionsAllowed, false);
      assert.deepEqual([k.report?.type, (k.report as { code?: string }).code], ['unusable', 'AUDIT_LOG_DELETED']);
      k.dispose();
      assert.equal(fs.existsSync(f.dbPath), false, 'nothing recreated');
    }
    assert.equal((await cli(['audit', 'verify', '--db', f.dbPath, '--key', f.keyPath])).code, 2);
  });

  it('keeps verifying after retention, and catches a forged checkpoint', async () => {
    const f = fresh();
    const log = AuditLog.open({ ...f, now: () => Date.now() + 365 * 86_400_000 });
    const r = log.prune({ maxAgeMs: 1 });
    assert.equal(r.checkpointSeq, N - 1);
    log.dispose();
    const ok = await verifyAuditLog(f);
    assert.equal(ok.type, 'intact', JSON.stringify(ok));
    assert.equal((ok as { firstSeq: number }).firstSeq, N);
    withDb(f, (db) => db.prepare('UPDATE checkpoints SET time = time + 1').run());
    await expectTampered(f, 'checkpoint-signature', N - 1);
  });
});

/** A row an attacker without the key can write: correct fields, correct chain hash. */
function forge(db: import('better-sqlite3').Database, seq: number, prev: string): void {
  const f = {
    seq,
    time: Date.now(),
    session: 's1',
    subject: 'agent',
    action: 'tool.call',
    resource: 'src/evil.ts',
    decision: 'allow',
    ruleIds: '[]',
    payloadDigest: 'ab'.repeat(32),
    payload: null,
  };
  db.prepare('INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,unhex(?),?,unhex(?),unhex(?))').run(
    f.seq,
    f.time,
    f.session,
    f.subject,
    f.action,
    f.resource,
    f.decision,
    f.ruleIds,
    f.payloadDigest,
    f.payload,
    prev,
    entryHash(prev, f),
  );
}
