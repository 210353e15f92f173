// Full chain verification of an audit database file against its signed head and checkpoint, split over worker threads.
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { AuditVerifyReport, TamperReason } from '../../../protocol/src/audit';
import { AirlockError } from '../../../protocol/src/errors';
import { DOMAIN, genesisHash, mac, macEquals } from './canonical';
import { AUDIT_KEY_INVALID, AUDIT_KEY_MISSING, loadAuditKey } from './key';
import { type ChainPoint, readHead, type SignedHead } from './head';
import { AUDIT_SCHEMA_VERSION, CHECKPOINTS_SQL, ENTRIES_SQL } from './schema';
import { RANGE_SQL, type RangeResult, verifyRange } from './verify-range';

export interface VerifyOptions {
  dbPath: string;
  headPath: string;
  keyPath: string;
  /** Worker threads (default: up to 4 by available cores, one per 200k entries); 0 or 1 verifies in this thread. */
  workers?: number;
  signal?: AbortSignal;
}

const BATCH = 20_000;
const PER_WORKER_MIN = 200_000;

export class Tampered extends Error {
  constructor(
    readonly reason: TamperReason,
    message: string,
    readonly seq?: number,
  ) {
    super(message);
  }
}

export function checkpointMacText(logId: string, seq: number, hash: string, time: number, pruned: number): string {
  return `${logId}\n${seq}\n${hash}\n${time}\n${pruned}`;
}

export function checkpointMac(key: Buffer, logId: string, seq: number, hash: string, time: number, pruned: number): string {
  return mac(key, DOMAIN.checkpoint, checkpointMacText(logId, seq, hash, time, pruned));
}

/** Checks every entry, every link, the checkpoint and the signed head. Never throws for a damaged log: it reports. */
export async function verifyAuditLog(opts: VerifyOptions): Promise<AuditVerifyReport> {
  const t0 = performance.now();
  const ms = () => Math.round((performance.now() - t0) * 10) / 10;
  let key: Buffer;
  try {
    key = loadAuditKey(opts.keyPath);
  } catch (e) {
    const a = AirlockError.from(e);
    return {
      type: 'unusable',
      code: a.code === AUDIT_KEY_INVALID ? AUDIT_KEY_INVALID : AUDIT_KEY_MISSING,
      message: a.message,
      hint: a.hint,
    };
  }
  let db: Database.Database;
  try {
    db = new Database(opts.dbPath, { readonly: true, fileMustExist: true });
  } catch (e) {
    return {
      type: 'unusable',
      code: 'AUDIT_DB_MISSING',
      message: `cannot open ${opts.dbPath}: ${(e as Error).message}`,
      hint: "pass --db PATH (`airlock doctor --json` lists the kernel's audit database)",
    };
  }
  try {
    const r = await verifyOpen(db, key, opts);
    return { ...r, ms: ms() };
  } catch (e) {
    if (e instanceof Tampered) return { type: 'tampered', seq: e.seq, reason: e.reason, message: e.message, ms: ms() };
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_IOERR')) {
      return { type: 'tampered', reason: 'corrupt', message: `the database file is damaged: ${(e as Error).message}`, ms: ms() };
    }
    if (e instanceof AirlockError) return { type: 'unusable', code: e.code, message: e.message, hint: e.hint };
    throw e;
  } finally {
    db.close();
  }
}

async function verifyOpen(
  db: Database.Database,
  key: Buffer,
  opts: VerifyOptions,
): Promise<Omit<Extract<AuditVerifyReport, { type: 'intact' }>, 'ms'>> {
  checkSchema(db);
  const logId = db.prepare(`SELECT value FROM meta WHERE key = 'log_id'`).pluck().get() as string | undefined;
  if (!logId) throw new Tampered('schema', 'the log id is missing from the database');

  // Read the head, the tail and the head again inside one read transaction, so a live writer cannot race us.
  let head: SignedHead | undefined;
  let last: { seq: number; hash: string } | undefined;
  let bounds: { min: number | null; max: number | null; n: number } = { min: null, max: null, n: 0 };
  for (let attempt = 0; ; attempt++) {
    const h1 = headOrThrow(opts.headPath, key);
    db.exec('BEGIN');
    bounds = db.prepare('SELECT min(seq) AS min, max(seq) AS max, count(*) AS n FROM entries').get() as typeof bounds;
    const row = db.prepare('SELECT seq, lower(hex(hash)) AS hash FROM entries ORDER BY seq DESC LIMIT 1').get() as typeof last;
    const h2 = headOrThrow(opts.headPath, key);
    if (h1.counter === h2.counter || attempt >= 20) {
      head = h2;
      last = row;
      break;
    }
    db.exec('COMMIT');
  }
  try {
    if (head.logId !== logId)
      throw new Tampered('wrong-log', `the signed head belongs to another log (${head.logId}, database is ${logId})`);
    const base = checkpointBase(db, key, logId);
    if (bounds.n > 0 && bounds.min !== base.seq + 1) {
      throw new Tampered(
        'bad-start',
        `the log starts at entry ${bounds.min}, expected ${base.seq + 1}${base.seq ? ` (after the checkpoint at ${base.seq})` : ''}`,
        bounds.min ?? undefined,
      );
    }
    const lastSeq = bounds.max ?? base.seq;
    const results = await runRanges(db, opts, base.seq, lastSeq, bounds.n);
    let prev = base.hash;
    for (const r of results) {
      if (r.count > 0 && r.firstPrev !== prev && !(r.failure && r.failure.seq === r.from + 1)) {
        throw new Tampered(
          r.from === base.seq ? 'bad-start' : 'broken-link',
          r.from === base.seq
            ? `entry ${r.from + 1} does not link to the ${base.seq ? 'checkpoint' : 'start of the log'}`
            : `entry ${r.from + 1} does not link to entry ${r.from}`,
          r.from + 1,
        );
      }
      if (r.failure) throw new Tampered(r.failure.reason, r.failure.message, r.failure.seq);
      if (r.count > 0) prev = r.lastHash;
    }
    const tail = { seq: lastSeq, hash: last ? last.hash : base.hash };
    const recovered = compareHead(head, tail, {
      dbHead: readDbHead(db, key, logId),
      hashAt: (seq) =>
        seq === base.seq
          ? base.hash
          : (db.prepare('SELECT lower(hex(hash)) FROM entries WHERE seq = ?').pluck().get(seq) as string | undefined),
    });
    return { type: 'intact', entries: bounds.n, firstSeq: base.seq + 1, lastSeq, headHash: tail.hash, recovered };
  } finally {
    if (db.inTransaction) db.exec('COMMIT');
  }
}

function headOrThrow(file: string, key: Buffer): SignedHead {
  const r = readHead(file, key);
  switch (r.type) {
    case 'ok':
      return r.head;
    case 'missing':
      throw new Tampered('head-missing', `the signed head ${file} is missing`);
    case 'bad-signature':
      throw new Tampered('head-signature', r.message);
    default: {
      const never: never = r;
      return never;
    }
  }
}

function checkSchema(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== AUDIT_SCHEMA_VERSION) throw new Tampered('schema', `schema version ${version}, expected ${AUDIT_SCHEMA_VERSION}`);
  const sql = (name: string) => db.prepare(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?`).pluck().get(name);
  if (sql('entries') !== ENTRIES_SQL || sql('checkpoints') !== CHECKPOINTS_SQL)
    throw new Tampered('schema', 'the entries or checkpoints table was altered');
}

function checkpointBase(db: Database.Database, key: Buffer, logId: string): { seq: number; hash: string } {
  const cp = db
    .prepare('SELECT seq, lower(hex(hash)) AS hash, time, pruned, lower(hex(mac)) AS mac FROM checkpoints ORDER BY seq DESC LIMIT 1')
    .get() as { seq: number; hash: string; time: number; pruned: number; mac: string } | undefined;
  if (!cp) return { seq: 0, hash: genesisHash(logId) };
  if (!macEquals(cp.mac, checkpointMac(key, logId, cp.seq, cp.hash, cp.time, cp.pruned))) {
    throw new Tampered('checkpoint-signature', `the retention checkpoint at entry ${cp.seq} is not signed by the audit key`, cp.seq);
  }
  return { seq: cp.seq, hash: cp.hash };
}

export interface DbHeadCheck {
  /** The signed copy of the head committed with the entries (meta `db_head`), when its MAC is valid. */
  dbHead: ChainPoint | undefined;
  /** Hash of the entry (or base) at seq, to check that the file head lies on the chain. */
  hashAt(seq: number): string | undefined;
}

export function dbHeadMac(key: Buffer, logId: string, p: ChainPoint): string {
  return mac(key, DOMAIN.dbHead, `${logId}\n${p.seq}\n${p.hash}`);
}

/** Reads meta `db_head` and returns it when its MAC checks out. */
export function readDbHead(db: Database.Database, key: Buffer, logId: string): ChainPoint | undefined {
  const raw = db.prepare(`SELECT value FROM meta WHERE key = 'db_head'`).pluck().get() as string | undefined;
  if (!raw) return undefined;
  try {
    const o = JSON.parse(raw) as ChainPoint & { mac: string };
    const p = { seq: o.seq, hash: o.hash };
    return macEquals(o.mac, dbHeadMac(key, logId, p)) ? p : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Intact when the tail is the committed head, or the pending one (a crash between commit and finalising the head), or
 * when the file head is behind but on the chain and the head signed into the same transaction as the tail matches it
 * (the file head is written without fsync, so power loss can leave it behind; the database's own copy is durable).
 */
export function compareHead(head: SignedHead, tail: ChainPoint, check?: DbHeadCheck): boolean {
  const same = (p: ChainPoint | null | undefined) => !!p && p.seq === tail.seq && p.hash === tail.hash;
  // The head signed into the database is committed with the tail, so it never runs ahead of it: when it does, the
  // newest rows were deleted (whatever older head file was put back beside them).
  const inDb = check?.dbHead;
  if (inDb && inDb.seq > tail.seq) {
    throw new Tampered(
      'truncated',
      `the log ends at entry ${tail.seq} but the head signed into the database is at entry ${inDb.seq}: entries ${tail.seq + 1}..${inDb.seq} were removed`,
      tail.seq + 1,
    );
  }
  if (inDb && inDb.seq === tail.seq && inDb.hash !== tail.hash) {
    throw new Tampered(
      'head-mismatch',
      `entry ${tail.seq} differs from the head signed into the database: the log was rewritten`,
      tail.seq,
    );
  }
  if (same(head.committed)) return false;
  if (same(head.pending)) return true;
  if (check && same(check.dbHead) && head.committed.seq < tail.seq && check.hashAt(head.committed.seq) === head.committed.hash) return true;
  // A crash before the commit leaves `pending` ahead and the tail at `committed` (handled above); anything else is damage.
  const signed = head.committed;
  if (tail.seq < signed.seq)
    throw new Tampered(
      'truncated',
      `the log ends at entry ${tail.seq} but the signed head is at entry ${signed.seq}: entries ${tail.seq + 1}..${signed.seq} were removed`,
      tail.seq + 1,
    );
  if (tail.seq > (head.pending?.seq ?? signed.seq)) {
    throw new Tampered(
      'unsigned-tail',
      `entries ${signed.seq + 1}..${tail.seq} come after the signed head (entry ${signed.seq}): they were appended without the audit key`,
      signed.seq + 1,
    );
  }
  throw new Tampered('head-mismatch', `entry ${signed.seq} differs from the signed head: the log was rewritten`, signed.seq);
}

async function runRanges(db: Database.Database, opts: VerifyOptions, from: number, to: number, n: number): Promise<RangeResult[]> {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  // An explicit count is obeyed (tests split small logs); by default small logs stay in this thread.
  const workers = opts.workers !== undefined ? Math.min(opts.workers, n) : Math.min(4, cores, Math.floor(n / PER_WORKER_MIN));
  if (workers < 2) return [verifyRange(db.prepare(RANGE_SQL).raw(), crypto, from, to, BATCH, null)];
  const span = Math.ceil((to - from) / workers);
  const ranges = Array.from({ length: workers }, (_, i) => [from + i * span, Math.min(to, from + (i + 1) * span)] as const).filter(
    ([a, b]) => a < b,
  );
  return Promise.all(ranges.map(([a, b]) => runWorker(opts, a, b)));
}

const WORKER_SOURCE = `
const __name = (f) => f;
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const Database = require(workerData.sqlite);
const verifyRange = ${verifyRange.toString()};
const db = new Database(workerData.db, { readonly: true, fileMustExist: true });
try {
  parentPort.postMessage({ ok: verifyRange(db.prepare(workerData.sql).raw(), crypto, workerData.from, workerData.to, workerData.batch, null) });
} catch (e) {
  parentPort.postMessage({ error: { message: e.message, code: e.code } });
} finally { db.close(); }
`;

function runWorker(opts: VerifyOptions, from: number, to: number): Promise<RangeResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { sqlite: require.resolve('better-sqlite3'), db: opts.dbPath, sql: RANGE_SQL, from, to, batch: BATCH },
    });
    const onAbort = () => {
      void w.terminate();
      reject(opts.signal?.reason);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    w.once('message', (m: { ok?: RangeResult; error?: { message: string; code?: string } }) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (m.ok) resolve(m.ok);
      else reject(Object.assign(new Error(m.error?.message), { code: m.error?.code }));
    });
    w.once('error', reject);
  });
}
