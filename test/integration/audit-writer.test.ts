// The audit writer thread fails closed: a thread that dies or never answers refuses what was in flight and what follows.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditLog } from '../../core/src/audit/log';
import { AUDIT_WRITER_STOPPED, ThreadWriter, writerThreadEntry } from '../../core/src/audit/writer';
import { rmLog, tempLog, withDb } from './audit-fixture';

describe('audit writer thread', function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-writer-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is the default, and a flush returns only once the thread has committed everything handed to it', () => {
    assert.ok(writerThreadEntry(), 'the writer script is found beside the log');
    const f = tempLog();
    try {
      const log = AuditLog.open(f);
      let last = 0;
      for (let i = 0; i < 2_345; i++) last = log.append({ subject: 'agent', action: 'tool.call', resource: `r${i}` }).seq;
      log.flush();
      assert.equal(
        withDb(f, (db) => db.prepare('SELECT max(seq) FROM entries').pluck().get()),
        last,
      );
      log.dispose();
    } finally {
      rmLog(f);
    }
  });

  it('a thread that dies refuses the batch in flight and every later one (fail closed)', async () => {
    const entry = path.join(dir, 'dies.js');
    fs.writeFileSync(entry, "throw new Error('writer thread crashed at start');\n");
    const failures: Array<{ through: number; message: string }> = [];
    const w = new ThreadWriter(
      { file: entry, ts: false },
      {
        dbPath: path.join(dir, 'none.db'),
        headPath: path.join(dir, 'none.head'),
        key: Buffer.alloc(32),
        logId: 'x',
        headCounter: 0,
        committed: { seq: 0, hash: '00'.repeat(32) },
      },
      { committed: () => assert.fail('nothing can commit'), failed: (through, message) => failures.push({ through, message }) },
    );
    w.submit({ text: '', target: { seq: 1, hash: 'ab'.repeat(32) }, durable: true });
    for (const end = Date.now() + 10_000; !w.stopped && Date.now() < end;) await new Promise((r) => setTimeout(r, 10));
    assert.match(w.stopped ?? '', /writer thread (failed|exited)/);
    assert.ok(
      failures.some((f) => f.through >= 1),
      JSON.stringify(failures),
    );
    assert.throws(
      () => w.drain(),
      (e: { code?: string }) => e.code === AUDIT_WRITER_STOPPED,
    );
    const before = failures.length;
    w.submit({ text: '', target: { seq: 2, hash: 'cd'.repeat(32) }, durable: true });
    assert.deepEqual(
      failures.slice(before).map((f) => f.through),
      [2],
    );
    w.dispose();
  });
});
