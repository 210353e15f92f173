// The audit log's behaviour on real files: sync rules, failed writes fail closed and retry, retention by size, warnings, CLI reads.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuditLog } from '../../core/src/audit/log';
import { verifyAuditLog } from '../../core/src/audit/verify';
import { cli, type LogFiles, populatedLog, rmLog, tempLog, withDb } from './audit-fixture';

async function until(ok: () => boolean, what: string, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 5)))
    if (Date.now() > end) assert.fail(`timed out: ${what}`);
}

describe('audit log', function () {
  this.timeout(60_000);
  const made: LogFiles[] = [];
  const track = (f: LogFiles) => {
    made.push(f);
    return f;
  };
  after(() => {
    for (const f of made) rmLog(f);
  });

  it('insists on synchronous writes for security actions, and flushes the buffer at 100 entries or on its timer', async () => {
    const f = track(tempLog());
    const log = AuditLog.open({ ...f, flushIntervalMs: 50 });
    for (const action of ['policy.decision', 'token.use', 'policy.update', 'patch.merge']) {
      assert.throws(
        () => log.append({ subject: 'x', action }),
        (e: { code?: string }) => e.code === 'AUDIT_BAD_ENTRY',
      );
    }
    const count = () => withDb(f, (db) => db.prepare('SELECT count(*) FROM entries').pluck().get() as number);
    for (let i = 0; i < 99; i++) log.append({ subject: 'agent', action: 'tool.call' });
    assert.equal(count(), 0);
    log.append({ subject: 'agent', action: 'tool.call' }); // the 100th hands the buffer to the writer thread
    await until(() => count() === 100, 'the full buffer is written without waiting for the timer');
    log.append({ subject: 'agent', action: 'tool.call' });
    assert.equal(count(), 100);
    await until(() => count() === 101, 'the timer flushes the rest');
    const e = await log.append({ subject: 'policy', action: 'policy.decision', decision: 'deny' }, { sync: true });
    assert.equal(count(), 102);
    assert.equal(e.seq, 102);
    log.dispose();
  });

  for (const writer of ['thread', 'inline'] as const) {
    it(`a failed write rejects synchronous callers (fail closed), keeps the entries and retries them in order (${writer} writer)`, async () => {
      const f = track(tempLog());
      const log = AuditLog.open({ ...f, writer });
      await log.append({ subject: 'agent', action: 'policy.decision' }, { sync: true });
      withDb(f, (db) => db.exec(`CREATE TRIGGER full BEFORE INSERT ON entries BEGIN SELECT RAISE(ABORT, 'disk full'); END`));
      log.append({ subject: 'agent', action: 'tool.call', resource: 'kept' });
      await assert.rejects(
        log.append({ subject: 'agent', action: 'policy.decision' }, { sync: true }),
        (e: { code?: string }) => e.code === 'AUDIT_WRITE_FAILED',
      );
      assert.equal(
        log.stats().warnings.some((w) => w.type === 'write-failed'),
        true,
      );
      withDb(f, (db) => db.exec('DROP TRIGGER full'));
      await log.append({ subject: 'agent', action: 'policy.decision' }, { sync: true });
      log.dispose();
      const r = await verifyAuditLog(f);
      assert.deepEqual([r.type, (r as { entries?: number }).entries], ['intact', 4]);
      assert.equal(
        withDb(f, (db) => db.prepare('SELECT resource FROM entries WHERE seq = 2').pluck().get()),
        'kept',
      );
    });
  }

  it('prunes by size behind a checkpoint; the rest still verifies and the prune itself is recorded', async () => {
    const f = track(await populatedLog(4000));
    const before = fs.statSync(f.dbPath).size;
    const log = AuditLog.open(f);
    const r = log.prune({ maxBytes: Math.floor(before / 2) });
    assert.ok(r.pruned > 1000 && r.checkpointSeq !== null, JSON.stringify(r));
    const last = log.query({ limit: 1, payloads: true }).entries[0];
    assert.equal(last.action, 'audit.prune');
    assert.deepEqual(last.payload, { through: r.checkpointSeq, pruned: r.pruned });
    assert.equal(log.stats().checkpoint?.seq, r.checkpointSeq);
    const s1 = log.query({ session: 's1', order: 'asc', limit: 5000 }).entries;
    assert.ok(s1.length > 100 && s1.every((e) => e.session === 's1' && e.seq > r.checkpointSeq!));
    assert.equal(s1[s1.length - 1].seq, 4000);
    log.dispose();
    assert.ok(fs.statSync(f.dbPath).size < before, 'file shrank');
    const v = await verifyAuditLog(f);
    assert.deepEqual([v.type, (v as { firstSeq?: number }).firstSeq], ['intact', r.checkpointSeq! + 1]);
  });

  it('warns about disk space and database size at the configured thresholds', () => {
    const f = track(tempLog());
    const log = AuditLog.open({ ...f, warnings: { minDiskFreeBytes: Number.MAX_SAFE_INTEGER, maxDbBytes: 1 } });
    log.append({ subject: 'agent', action: 'tool.call' });
    log.flush();
    const s = log.stats();
    assert.deepEqual(s.warnings.map((w) => w.type).sort(), ['db-size', 'disk-free']);
    assert.equal(s.entries, 1);
    log.dispose();
    const quiet = AuditLog.open(f);
    assert.deepEqual(quiet.stats().warnings, []);
    quiet.dispose();
  });

  it('CLI tail and export (jsonl, csv) read the file directly, with filters', async () => {
    const f = track(await populatedLog(200));
    const tail = await cli(['audit', 'tail', '-n', '3', '--db', f.dbPath, '--key', f.keyPath]);
    assert.equal(tail.code, 0, tail.err);
    assert.deepEqual(
      tail.out.split('\n').map((l) => l.split(' ')[0]),
      ['#198', '#199', '#200'],
    );
    const out = path.join(f.dir, 'deny.jsonl');
    const ex = await cli([
      'audit',
      'export',
      '--format',
      'jsonl',
      '--decision',
      'deny',
      '--out',
      out,
      '--db',
      f.dbPath,
      '--key',
      f.keyPath,
    ]);
    assert.equal(ex.code, 0, ex.err);
    const rows = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      rows.map((r) => r.seq),
      [20, 40, 60, 80, 100, 120, 140, 160, 180, 200],
    );
    const csv = await cli([
      'audit',
      'export',
      '--format',
      'csv',
      '--session',
      's1',
      '--action',
      'tool.*',
      '--since',
      '2000-01-01T00:00Z',
      '--db',
      f.dbPath,
      '--key',
      f.keyPath,
    ]);
    const lines = csv.out.split('\n');
    assert.equal(lines[0], 'seq,time,session,subject,action,resource,decision,ruleIds,payloadDigest,prevHash,hash,payload');
    assert.ok(lines.length > 50 && lines.slice(1).every((l) => l.includes(',s1,agent,tool.call,')), lines[1]);
    assert.equal((await cli(['audit', 'export', '--format', 'xml', '--db', f.dbPath, '--key', f.keyPath])).code, 2);
    const st = await cli(['audit', 'stats', '--json', '--db', f.dbPath]);
    assert.equal(st.code, 0, st.err);
    assert.equal(JSON.parse(st.out).entries, 200);
  });
});
