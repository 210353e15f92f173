// Audit log benchmark: buffered and durable append rates (1 and 16 writers), 1M-entry verification, DB size; naive baselines.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { AuditLog } from '../core/src/audit/log';
import { verifyAuditLog } from '../core/src/audit/verify';
import { ENTRIES_SQL } from '../core/src/audit/schema';
import { type Figures, nowMs, percentile, writeResults } from './lib';

const N = 1_000_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bench-audit-'));
const sizeOf = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);

function input(i: number) {
  return {
    session: `s${i % 8}`,
    subject: 'agent',
    action: 'tool.call',
    resource: `src/module${i % 500}/file${i % 97}.ts`,
    decision: 'allow',
    ruleIds: ['workspace.read'],
    payload: { tool: 'fs.read', bytes: 1000 + (i % 5000), ms: i % 13 },
  };
}

/** The naive writer: per-entry createHash + JSON, one INSERT per row, `batch` rows per transaction. */
function naiveWriter(file: string, synchronous: 'NORMAL' | 'FULL') {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec(ENTRIES_SQL);
  const ins = db.prepare('INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?)');
  let prev = Buffer.alloc(32);
  const row = (i: number) => {
    const e = input(i);
    const payload = JSON.stringify(e.payload);
    const digest = crypto.createHash('sha256').update(payload).digest();
    const ruleIds = JSON.stringify(e.ruleIds);
    const hash = crypto
      .createHash('sha256')
      .update(prev)
      .update(
        JSON.stringify([i, Date.now(), e.session, e.subject, e.action, e.resource, e.decision, ruleIds, digest.toString('hex'), payload]),
      )
      .digest();
    ins.run(i, Date.now(), e.session, e.subject, e.action, e.resource, e.decision, ruleIds, digest, payload, prev, hash);
    prev = hash;
  };
  return { db, row };
}

/** The naive durable writer: one FULL-sync transaction per row, or (batchPerTick) one per tick for every row queued in it. */
function naiveSync(file: string, batchPerTick: boolean) {
  const w = naiveWriter(file, 'FULL');
  let seq = 0;
  let queued: Array<{ i: number; resolve: () => void }> = [];
  const tx = w.db.transaction((rows: Array<{ i: number }>) => {
    for (const r of rows) w.row(++seq);
  });
  const append = (i: number): Promise<void> => {
    if (!batchPerTick) {
      w.row(++seq);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      if (!queued.length)
        setImmediate(() => {
          const rows = queued;
          queued = [];
          tx(rows);
          for (const r of rows) r.resolve();
        });
      queued.push({ i, resolve });
    });
  };
  return { append, close: () => w.db.close() };
}

type Appender = (i: number) => Promise<unknown>;

/** Entries/s for `n` durable appends by `writers` concurrent writers, each awaiting its entry before the next. */
async function syncRate(append: Appender, writers: number, n: number, warmup: number): Promise<number> {
  const run = async (count: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (next < count) await append(next++);
      }),
    );
  };
  await run(warmup);
  const t = nowMs();
  await run(n);
  return n / ((nowMs() - t) / 1000);
}

const SYNC_1W = 2000;
const SYNC_16W = 16_000;
const SYNC_WARMUP = 200;
const VERIFY_RUNS = 3;

async function main(): Promise<void> {
  const m: Figures = {};
  const b: Figures = {};
  const inproc = { model: 'in-process' as const };
  // -- buffered: 1M entries through the real log (100-entry / 500 ms buffer), which also builds the log to verify,
  // in five segments interleaved with the naive baseline (100-entry transactions) so both see the same machine load.
  const o = { dbPath: path.join(dir, 'audit.db'), keyPath: path.join(dir, 'keys', 'audit.key') };
  const log = AuditLog.open(o);
  const nb = naiveWriter(path.join(dir, 'naive-buffered.db'), 'NORMAL');
  const tx = nb.db.transaction((from: number) => {
    for (let i = from; i < from + 100; i++) nb.row(i);
  });
  const SEG = N / 5;
  const ours: number[] = [];
  const naive: number[] = [];
  let t = 0;
  for (let seg = 0; seg < 5; seg++) {
    t = nowMs();
    for (let i = seg * SEG; i < (seg + 1) * SEG; i++) log.append(input(i));
    log.flush();
    ours.push(SEG / ((nowMs() - t) / 1000));
    t = nowMs();
    for (let i = seg * SEG + 1; i <= (seg + 1) * SEG; i += 100) tx(i);
    naive.push(SEG / ((nowMs() - t) / 1000));
  }
  nb.db.close();
  const seg = (value: number, work: string) => ({ value, unit: 'entries/s', stat: 'median' as const, n: 5, warmup: 0, ...inproc, work });
  m.append_buffered_per_s = {
    ...seg(percentile(ours, 50), 'AuditLog.append (buffered, hashed, committed on the writer thread), 5 segments of 200,000'),
    goal: '>= 150000',
  };
  b.naive_buffered_100tx_per_s = seg(
    percentile(naive, 50),
    'naive: per-entry createHash + JSON, one INSERT per row, 100 rows per NORMAL-sync transaction, 5 segments of 200,000',
  );
  log.dispose();
  m.db_bytes_per_1m = {
    value: Math.round(sizeOf(o.dbPath) + sizeOf(`${o.dbPath}-wal`)),
    unit: 'bytes',
    stat: 'total',
    n: 1,
    warmup: 0,
    ...inproc,
    work: 'database + WAL after 1,000,000 buffered entries',
  };

  // -- durable (sync) appends: fresh logs on both sides, each writer awaits its entry's commit (one fsync per commit).
  const fresh = { dbPath: path.join(dir, 'sync', 'sync.db'), keyPath: path.join(dir, 'sync', 'keys', 'audit.key') };
  const syncLog = AuditLog.open(fresh);
  const oursAppend: Appender = (i) => syncLog.append({ ...input(i), action: 'policy.decision' }, { sync: true });
  const naive1 = naiveSync(path.join(dir, 'naive-sync-1w.db'), false);
  const naive16 = naiveSync(path.join(dir, 'naive-sync-16w.db'), true);
  const rate = async (writers: number, n: number, append: Appender, work: string) => ({
    value: await syncRate(append, writers, n, SYNC_WARMUP),
    unit: 'entries/s',
    stat: 'rate' as const,
    n,
    warmup: SYNC_WARMUP,
    ...inproc,
    work,
  });
  m.append_sync_1w_per_s = await rate(
    1,
    SYNC_1W,
    oursAppend,
    'AuditLog.append sync (FULL-sync group commit on the writer thread), 1 writer',
  );
  b.naive_sync_1w_per_s = await rate(1, SYNC_1W, naive1.append, 'naive: one FULL-sync WAL transaction per entry, 1 writer');
  m.append_sync_16w_per_s = {
    ...(await rate(16, SYNC_16W, oursAppend, 'AuditLog.append sync, 16 concurrent writers (group commit)')),
    goal: '>= 5000',
  };
  b.naive_sync_16w_per_s = await rate(
    16,
    SYNC_16W,
    naive16.append,
    'naive: 16 concurrent writers, every entry queued in a tick committed in one FULL-sync transaction',
  );
  syncLog.dispose();
  naive1.close();
  naive16.close();

  // -- verification of the 1M-entry log: worker threads vs the same checks in this thread, alternating, median of 3.
  const verify = async (workers: number | undefined) => {
    const t0 = nowMs();
    const r = await verifyAuditLog({ ...o, headPath: `${o.dbPath}.head`, ...(workers === undefined ? {} : { workers }) });
    if (r.type !== 'intact' || r.entries !== N) throw new Error(`verify failed: ${JSON.stringify(r)}`);
    return (nowMs() - t0) / 1000;
  };
  const [threaded, single] = [[] as number[], [] as number[]];
  await verify(undefined);
  await verify(1);
  for (let k = 0; k < VERIFY_RUNS; k++) {
    threaded.push(await verify(undefined));
    single.push(await verify(1));
  }
  const vf = (value: number, work: string) => ({ value, unit: 's', stat: 'median' as const, n: VERIFY_RUNS, warmup: 1, ...inproc, work });
  m.verify_1m_s = {
    ...vf(percentile(threaded, 50), 'verifyAuditLog of 1,000,000 entries, default worker threads (up to 4 by cores)'),
    goal: '<= 3',
  };
  b.verify_1m_1thread_s = vf(percentile(single, 50), 'verifyAuditLog of the same 1,000,000 entries, same checks, workers: 1 (this thread)');

  writeResults({
    name: 'audit',
    engine: null,
    metrics: m,
    baselines: b,
    ratios: [
      ['buffered / naive 100-entry tx', 'append_buffered_per_s', 'naive_buffered_100tx_per_s'],
      ['sync 1 writer / naive 1 writer', 'append_sync_1w_per_s', 'naive_sync_1w_per_s'],
      ['sync 16 writers / naive 16 writers batching per tick', 'append_sync_16w_per_s', 'naive_sync_16w_per_s'],
      ['thread speed-up: 1 thread / threaded verify', 'verify_1m_1thread_s', 'verify_1m_s'],
    ],
    notes: ['durable appends: both sides use WAL with synchronous=FULL for the commit (one fsync per commit) on fresh files'],
  });
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
