// Audit log benchmark: buffered and synchronous append rates, 1M-entry verification, DB size; naive baselines alongside.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { entryInput, payloadParts, StoredFields } from '../kernel/src/audit/canonical';
import { AuditLog } from '../kernel/src/audit/log';
import { verifyAuditLog } from '../kernel/src/audit/verify';
import { ENTRIES_SQL } from '../kernel/src/audit/schema';
import { Metrics, nowMs, percentile, report } from './lib';

const N = 1_000_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bench-audit-'));
const sizeOf = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);

function input(i: number) {
  return { session: `s${i % 8}`, subject: 'agent', action: 'tool.call', resource: `src/module${i % 500}/file${i % 97}.ts`, decision: 'allow',
    ruleIds: ['workspace.read'], payload: { tool: 'fs.read', bytes: 1000 + (i % 5000), ms: i % 13 } };
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
    const hash = crypto.createHash('sha256').update(prev).update(JSON.stringify([i, Date.now(), e.session, e.subject, e.action, e.resource, e.decision, ruleIds, digest.toString('hex'), payload])).digest();
    ins.run(i, Date.now(), e.session, e.subject, e.action, e.resource, e.decision, ruleIds, digest, payload, prev, hash);
    prev = hash;
  };
  return { db, row };
}

async function main(): Promise<void> {
  const m: Metrics = {};
  // -- buffered: 1M entries through the real log (100-entry / 500 ms buffer), which also builds the log to verify,
  // in five segments interleaved with the naive baseline (100-entry transactions) so both see the same machine load.
  const o = { dbPath: path.join(dir, 'audit.db'), keyPath: path.join(dir, 'keys', 'audit.key') };
  const log = AuditLog.open(o);
  const nb = naiveWriter(path.join(dir, 'naive-buffered.db'), 'NORMAL');
  const tx = nb.db.transaction((from: number) => { for (let i = from; i < from + 100; i++) nb.row(i); });
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
  m.append_buffered_per_s = { value: percentile(ours, 50), unit: 'entries/s', goal: '>= 150000' };
  m.baseline_naive_100tx_per_s = { value: percentile(naive, 50), unit: 'entries/s' };

  // -- synchronous: 16 concurrent writers (sessions), each awaiting durability before its next entry (group commit).
  const SYNC_N = 20_000;
  let done = 0;
  t = nowMs();
  await Promise.all(Array.from({ length: 16 }, async (_, w) => {
    while (done < SYNC_N) { done++; await log.append({ ...input(w), action: 'policy.decision' }, { sync: true }); }
  }));
  m.append_sync_per_s = { value: SYNC_N / ((nowMs() - t) / 1000), unit: 'entries/s', goal: '>= 5000' };
  // For reference: one writer awaiting each entry in turn (no other writer to share a commit with).
  const ONE_N = 2000;
  t = nowMs();
  for (let i = 0; i < ONE_N; i++) await log.append({ ...input(i), action: 'policy.decision' }, { sync: true });
  m.info_sync_one_writer_per_s = { value: ONE_N / ((nowMs() - t) / 1000), unit: 'entries/s' };
  log.dispose();

  const total = N + SYNC_N + ONE_N;
  m.db_bytes_per_1m = { value: Math.round((sizeOf(o.dbPath) + sizeOf(`${o.dbPath}-wal`)) * (1_000_000 / total)), unit: 'bytes' };

  t = nowMs();
  const r = await verifyAuditLog({ ...o, headPath: `${o.dbPath}.head` });
  if (r.type !== 'intact') throw new Error(`verify failed: ${JSON.stringify(r)}`);
  m.verify_1m_s = { value: ((nowMs() - t) / 1000) * (1_000_000 / r.entries), unit: 's', goal: '<= 3' };

  // -- baselines, same machine, same run.
  // Per-row FULL-sync baseline right after our synchronous runs.
  const ns = naiveWriter(path.join(dir, 'naive-sync.db'), 'FULL');
  const NS = 5000;
  t = nowMs();
  for (let i = 1; i <= NS; i++) ns.row(i);
  m.baseline_naive_fullsync_per_s = { value: NS / ((nowMs() - t) / 1000), unit: 'entries/s' };
  ns.db.close();

  m.baseline_naive_verify_1m_s = { value: naiveVerify(o.dbPath), unit: 's' };

  const ratios: Array<[string, string, string]> = [
    ['buffered vs naive 100-entry tx', 'append_buffered_per_s', 'baseline_naive_100tx_per_s'],
    ['sync vs naive per-row FULL', 'append_sync_per_s', 'baseline_naive_fullsync_per_s'],
    ['verify speed-up vs row-by-row', 'baseline_naive_verify_1m_s', 'verify_1m_s'],
  ];
  report('audit', m, ratios);
  // The results file keeps exactly the keys under `metrics`; baselines and ratios beside them.
  const keys = ['append_buffered_per_s', 'append_sync_per_s', 'verify_1m_s', 'db_bytes_per_1m'];
  const pick = (ks: string[]) => Object.fromEntries(ks.map((k) => [k, { value: m[k].value, unit: m[k].unit }]));
  fs.writeFileSync(path.join(__dirname, 'results', 'audit.json'), JSON.stringify({
    metrics: pick(keys),
    baselines: pick(Object.keys(m).filter((k) => k.startsWith('baseline_'))),
    ratios: Object.fromEntries(ratios.map(([label, a, b]) => [label, m[a].value / m[b].value])),
    info: pick(Object.keys(m).filter((k) => k.startsWith('info_'))),
  }, null, 2) + '\n');
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Row by row: read every column, rebuild the canonical bytes in JS, hash, compare (runs on 200k rows, scaled to 1M). */
function naiveVerify(file: string): number {
  const db = new Database(file, { readonly: true });
  const rows = db.prepare(`SELECT seq, time, session, subject, action, resource, decision, rule_ids, lower(hex(payload_digest)) AS d, payload,
    lower(hex(prev_hash)) AS prev, lower(hex(hash)) AS hash FROM entries ORDER BY seq LIMIT 200000`);
  const t = nowMs();
  let prev: string | undefined;
  let n = 0;
  for (const r of rows.iterate() as Iterable<Record<string, string | number | null>>) {
    const f: StoredFields = { seq: r.seq as number, time: r.time as number, session: r.session as string, subject: r.subject as string,
      action: r.action as string, resource: r.resource as string, decision: r.decision as string, ruleIds: r.rule_ids as string,
      payloadDigest: r.d as string, payload: r.payload as string | null };
    if (r.payload !== null && payloadParts(JSON.parse(r.payload as string)).digest !== r.d) throw new Error('payload');
    if (prev !== undefined && r.prev !== prev) throw new Error('link');
    if (crypto.createHash('sha256').update(entryInput(r.prev as string, f)).digest('hex') !== r.hash) throw new Error(`hash ${r.seq}`);
    prev = r.hash as string;
    n++;
  }
  db.close();
  return ((nowMs() - t) / 1000) * (1_000_000 / n);
}

main().catch((e) => { console.error(e); process.exit(1); });
