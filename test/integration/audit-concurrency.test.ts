// Concurrency: many writers through one kernel audit log (sync and buffered, with reads and verifies) keep one linear chain.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditLog } from '../../core/src/audit/log';
import { KernelAudit } from '../../kernel/src/audit/startup';
import { verifyAuditLog } from '../../core/src/audit/verify';
import { EventBus } from '../../kernel/src/event-bus';
import { type LogFiles, rmLog, tempLog, withDb } from './audit-fixture';

describe('audit concurrency', function () {
  this.timeout(60_000);
  const made: LogFiles[] = [];
  after(() => {
    for (const f of made) rmLog(f);
  });

  it('12 concurrent writers, reads and verifies in between: one gap-free chain, each writer in its own order', async () => {
    const files = tempLog();
    made.push(files);
    const events = new EventBus();
    const seen: Array<{ firstSeq: number; lastSeq: number }> = [];
    events.onEvent((e) => {
      if (e.name === 'audit/appended') seen.push(e.data as { firstSeq: number; lastSeq: number });
    });
    const k = await KernelAudit.start(files, events);
    assert.equal(k.sessionsAllowed, true);
    const log = k.writer;
    const PER = 150;
    const writers = Array.from({ length: 12 }, async (_, w) => {
      for (let i = 0; i < PER; i++) {
        const input = { session: `w${w}`, subject: 'agent', resource: `${w}:${i}` };
        if (i % 3 === 0) await log.append({ ...input, action: 'policy.decision', decision: 'allow' }, { sync: true });
        else log.append({ ...input, action: 'tool.call' });
        if (i % 25 === 0) await sleep(1 + (w % 3));
      }
    });
    const readers = (async () => {
      for (let i = 0; i < 5; i++) {
        await sleep(5);
        assert.equal((await log.verify()).type, 'intact');
        log.query({ session: 'w3', limit: 10 });
      }
    })();
    await Promise.all([...writers, readers]);
    k.dispose();
    await sleep(300);

    const total = 12 * PER + 1; // + kernel.start
    const r = await verifyAuditLog(files);
    assert.equal(r.type, 'intact', JSON.stringify(r));
    assert.equal((r as { entries: number }).entries, total);
    withDb(files, (db) => {
      const rows = db
        .prepare('SELECT seq, session, resource, lower(hex(prev_hash)) AS prev, lower(hex(hash)) AS hash FROM entries ORDER BY seq')
        .all() as Array<{ seq: number; session: string; resource: string; prev: string; hash: string }>;
      assert.deepEqual(
        rows.map((x) => x.seq),
        Array.from({ length: total }, (_, i) => i + 1),
      );
      for (let i = 1; i < rows.length; i++) assert.equal(rows[i].prev, rows[i - 1].hash, `link at ${rows[i].seq}`);
      for (let w = 0; w < 12; w++) {
        const mine = rows.filter((x) => x.session === `w${w}`).map((x) => Number(x.resource.split(':')[1]));
        assert.deepEqual(
          mine,
          Array.from({ length: PER }, (_, i) => i),
        );
      }
    });
    // Coalesced notifications still cover every committed entry.
    assert.ok(seen.length > 0 && seen.length < total);
    assert.equal(seen[seen.length - 1].lastSeq, total);
  });

  it('a second writer on the same file is refused, so the chain and head cannot fork', async () => {
    const files = tempLog();
    made.push(files);
    const a = AuditLog.open(files);
    assert.throws(
      () => AuditLog.open(files),
      (e: { code?: string }) => e.code === 'AUDIT_LOCKED',
    );
    await a.append({ subject: 'agent', action: 'policy.decision' }, { sync: true });
    a.dispose();
    // Released on dispose: the next writer opens and continues the chain.
    const b = AuditLog.open(files);
    await b.append({ subject: 'agent', action: 'policy.decision' }, { sync: true });
    b.dispose();
    const r = await verifyAuditLog(files);
    assert.deepEqual([r.type, (r as { entries?: number }).entries], ['intact', 2]);
  });
});
