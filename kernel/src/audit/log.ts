// The audit log writer: hash chain in memory, buffered and group-committed synchronous writes, signed head on every flush.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AuditEntry, AuditInput, AuditPage, AuditQuery, AuditStats, AuditVerifyReport, StorageWarning } from '../../../protocol/src/audit';
import { AirlockError } from '../../../protocol/src/errors';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import type { Statement } from 'better-sqlite3';
import { Db, openDatabase } from '../store/sqlite';
import { entryHashOf, genesisHash, NULL_PAYLOAD_DIGEST, payloadParts, wellFormed } from './canonical';
import { HeadWriter, readHead, SignedHead } from './head';
import { loadAuditKey } from './key';
import { lockWriter } from './lock';
import { queryEntries } from './query';
import { pruneLog } from './retention';
import { AUDIT_MIGRATIONS } from './schema';
import { collectStats } from './storage';
import { AuditAppended, AuditLogOptions, IAuditLog, RetentionConfig, SYNC_ACTIONS } from './types';
import { compareHead, dbHeadMac, readDbHead, Tampered, verifyAuditLog } from './verify';

export const AUDIT_BROKEN = 'AUDIT_BROKEN';
export const AUDIT_WRITE_FAILED = 'AUDIT_WRITE_FAILED';
export const AUDIT_BAD_ENTRY = 'AUDIT_BAD_ENTRY';
export const AUDIT_LOG_DELETED = 'AUDIT_LOG_DELETED';

const COLS = 12;
/** Rows per INSERT statement: a flush of n rows runs one statement per set bit of n (100 = 64 + 32 + 4). */
const CHUNKS = [64, 32, 16, 8, 4, 2, 1] as const;
const MAX_BACKLOG = 10_000;
const ACTION = /^[A-Za-z0-9_.:\/-]{1,128}$/;
const NULL_PAYLOAD_DIGEST_BYTES = Buffer.from(NULL_PAYLOAD_DIGEST, 'hex');

interface Waiter { resolve(): void; reject(e: unknown): void }

export class AuditLog extends Disposable implements IAuditLog {
  readonly headPath: string;
  private readonly db: Db;
  private readonly key: Buffer;
  private readonly logId: string;
  private readonly head: HeadWriter;
  private readonly now: () => number;
  private readonly maxBuffer: number;
  private readonly flushMs: number;
  /** INSERT statements for 64, 32, ... 1 rows (same order as CHUNKS). */
  private readonly inserts: Array<ReturnType<Db['prepare']>>;
  /** The flush transaction, made once. */
  private readonly writeRows: (rows: unknown[], target: { seq: number; hash: string }) => void;
  private readonly upsertSession: Statement<[string, number, number]>;
  private readonly setDbHead: Statement<[string]>;
  /** Buffered rows as flat column values, COLS per row. */
  private rows: unknown[] = [];
  /** The last action that passed the ACTION check (most entries repeat one). */
  private lastAction = '';
  private buffered = 0;
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private lastSeq = 0;
  private lastHash: string;
  /** `lastHash` as bytes: the next row's prev_hash. */
  private lastHashBytes: Buffer;
  private lastTime = 0;
  /** What the database holds (the head's `committed`). */
  private committed: { seq: number; hash: string };
  private _verification: AuditVerifyReport | null = null;
  private writeError: StorageWarning | undefined;
  private verifying = 0;
  private readonly _onDidAppend = this._register(new Emitter<AuditAppended>());
  readonly onDidAppend = this._onDidAppend.event;
  private readonly _onDidWarn = this._register(new Emitter<StorageWarning>());
  readonly onDidWarn = this._onDidWarn.event;

  /** Opens (creating when new) the log. Throws only when it cannot be used at all; a damaged chain opens `broken`. */
  static open(opts: AuditLogOptions): AuditLog {
    return new AuditLog(opts);
  }

  private constructor(readonly opts: AuditLogOptions) {
    super();
    this.headPath = opts.headPath ?? `${opts.dbPath}.head`;
    this.now = opts.now ?? Date.now;
    this.maxBuffer = opts.maxBuffer ?? 100;
    this.flushMs = opts.flushIntervalMs ?? 500;
    const fresh = !fs.existsSync(opts.dbPath) && !fs.existsSync(this.headPath);
    // The key is created with the log; a key without its log means the log was deleted. Never start over silently.
    if (fresh && fs.existsSync(opts.keyPath)) {
      throw new AirlockError(AUDIT_LOG_DELETED, `the audit database ${opts.dbPath} and its signed head are gone, but the audit key remains`,
        'restore them from a backup; to start a new log on purpose, also remove keys/audit.key');
    }
    fs.mkdirSync(path.dirname(opts.dbPath), { recursive: true, mode: 0o700 });
    this._register(lockWriter(opts.dbPath));
    try {
      this.key = loadAuditKey(opts.keyPath, { create: fresh });
      this.db = openDatabase(opts.dbPath, { migrations: AUDIT_MIGRATIONS });
    } catch (e) {
      this.dispose();
      throw e;
    }
    // Checkpoints fsync the database file; every 40 MB of WAL instead of every 4 MB keeps appends cheap.
    this.db.pragma('wal_autocheckpoint = 10000');
    this._register({ dispose: () => this.db.close() });
    this.logId = this.db.prepare(`SELECT value FROM meta WHERE key = 'log_id'`).pluck().get() as string ?? this.createLogId();
    // Digests and hashes are bound as 32-byte blobs (cheaper than unhex() in SQL for three columns of every row).
    const vals = Array(COLS).fill('?').join(',');
    this.inserts = CHUNKS.map((n) => this.db.prepare(`INSERT INTO entries VALUES ${Array(n).fill(`(${vals})`).join(',')}`));
    this.setDbHead = this.db.prepare(`INSERT INTO meta (key, value) VALUES ('db_head', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
    this.upsertSession = this.db.prepare(`INSERT INTO sessions VALUES (?, ?, ?) ON CONFLICT(session) DO UPDATE SET last_seq = excluded.last_seq`);
    this.writeRows = this.db.transaction((rows: unknown[], target: { seq: number; hash: string }) => {
      const spans = new Map<string, [number, number]>();
      for (let off = 0, c = 0; off < rows.length; c++) {
        const n = CHUNKS[c] * COLS;
        for (; rows.length - off >= n; off += n) this.inserts[c].run(off === 0 && n === rows.length ? rows : rows.slice(off, off + n));
      }
      for (let i = 0; i < rows.length; i += COLS) {
        const s = rows[i + 2] as string;
        if (!s) continue;
        const span = spans.get(s);
        if (span) span[1] = rows[i] as number; else spans.set(s, [rows[i] as number, rows[i] as number]);
      }
      for (const [s, [lo, hi]] of spans) this.upsertSession.run(s, lo, hi);
      this.setDbHead.run(JSON.stringify({ ...target, mac: dbHeadMac(this.key, this.logId, target) }));
    });

    const cp = this.db.prepare('SELECT seq, lower(hex(hash)) AS hash FROM checkpoints ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    const tail = this.db.prepare('SELECT seq, lower(hex(hash)) AS hash, time FROM entries ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string; time: number } | undefined;
    this.committed = tail ? { seq: tail.seq, hash: tail.hash } : cp ?? { seq: 0, hash: genesisHash(this.logId) };
    this.lastSeq = this.committed.seq;
    this.lastHash = this.committed.hash;
    this.lastHashBytes = Buffer.from(this.lastHash, 'hex');
    this.lastTime = tail?.time ?? 0;
    const existing = readHead(this.headPath, this.key);
    this.head = this._register(new HeadWriter(this.headPath, this.key, existing.type === 'ok' ? existing.head : undefined));
    this.checkHeadAtOpen(existing.type === 'ok' ? existing.head : existing.type, !tail && !cp, cp ?? { seq: 0, hash: genesisHash(this.logId) });
    // Last in, first out: this runs before the database is closed.
    this._register({ dispose: () => this.closeBuffers() });
  }

  get dbPath(): string { return this.opts.dbPath; }
  get keyPath(): string { return this.opts.keyPath; }
  get verification(): AuditVerifyReport | null { return this._verification; }
  get broken(): boolean { return this._verification?.type === 'tampered' || this._verification?.type === 'unusable'; }

  append(input: AuditInput, opts: { sync: true }): Promise<AuditEntry>;
  append(input: AuditInput, opts?: { sync?: false }): AuditEntry;
  append(input: AuditInput, opts?: { sync?: boolean }): AuditEntry | Promise<AuditEntry> {
    const sync = opts?.sync === true;
    if (this._store.isDisposed) throw new AirlockError(AUDIT_WRITE_FAILED, 'the audit log is closed');
    if (this.broken) throw new AirlockError(AUDIT_BROKEN, `the audit log is damaged: ${this.describeBroken()}`, 'run `airlock audit verify`; the damaged database is kept for inspection');
    if (!sync && SYNC_ACTIONS.has(input.action)) throw new AirlockError(AUDIT_BAD_ENTRY, `${input.action} entries must be written with { sync: true }`);
    if (this.writeError && this.buffered >= MAX_BACKLOG) throw new AirlockError(AUDIT_WRITE_FAILED, `the audit log cannot write (${this.buffered} entries waiting)`, this.writeError?.message);
    const entry = this.build(input);
    if (sync) {
      return new Promise<AuditEntry>((resolve, reject) => {
        this.waiters.push({ resolve: () => resolve(entry), reject });
        this.immediate ??= setImmediate(() => { this.immediate = undefined; this.flushNow(true); });
      });
    }
    if (this.buffered >= this.maxBuffer) this.flushNow(false);
    else if (!this.timer) { this.timer = setTimeout(() => { this.timer = undefined; this.flushNow(false); }, this.flushMs); this.timer.unref(); }
    return entry;
  }

  flush(): void {
    this.flushNow(false);
  }

  async verify(signal?: AbortSignal): Promise<AuditVerifyReport> {
    this.flush();
    this.verifying++;
    try {
      const report = await verifyAuditLog({ dbPath: this.dbPath, headPath: this.headPath, keyPath: this.keyPath, signal })
        .catch((e): AuditVerifyReport => {
          if (signal?.aborted) throw e;
          return { type: 'unusable', code: 'AUDIT_VERIFY_FAILED', message: `verification could not run: ${(e as Error).message}` };
        });
      this._verification = report;
      return report;
    } finally {
      this.verifying--;
    }
  }

  query(q: AuditQuery): AuditPage {
    this.flush();
    return queryEntries(this.db, q);
  }

  stats(): AuditStats {
    return collectStats(this.db, this.opts, { buffered: this.buffered, verification: this._verification, writeError: this.writeError });
  }

  prune(config: RetentionConfig | undefined = this.opts.retention): { pruned: number; checkpointSeq: number | null } {
    if (this.broken) throw new AirlockError(AUDIT_BROKEN, 'a damaged audit log is never pruned', 'it is kept for inspection');
    if (this.verifying) return { pruned: 0, checkpointSeq: null };
    this.flush();
    const r = pruneLog(this.db, { key: this.key, logId: this.logId, now: this.now(), lastSeq: this.committed.seq }, config ?? {});
    if (r.checkpointSeq !== null) {
      void this.append({ subject: 'kernel', action: 'audit.prune', resource: 'audit', payload: { through: r.checkpointSeq, pruned: r.pruned } }, { sync: true }).catch(() => {});
      this.flush();
    }
    return r;
  }

  private build(input: AuditInput): AuditEntry {
    const action = input.action;
    if (typeof input.subject !== 'string' || !input.subject || typeof action !== 'string' || (action !== this.lastAction && !ACTION.test(action))) {
      throw new AirlockError(AUDIT_BAD_ENTRY, `bad audit entry: subject ${JSON.stringify(input.subject)}, action ${JSON.stringify(input.action)}`);
    }
    this.lastAction = action;
    const ruleIds = input.ruleIds ?? [];
    const { digest, stored } = payloadParts(input.payload);
    let time = this.now();
    if (time < this.lastTime) time = this.lastTime;
    const seq = this.lastSeq + 1;
    const session = input.session ? wellFormed(input.session) : '';
    const subject = wellFormed(input.subject);
    const resource = input.resource ? wellFormed(input.resource) : '';
    const decision = input.decision ? wellFormed(input.decision) : '';
    const ruleText = ruleIds.length ? wellFormed(JSON.stringify(ruleIds)) : '[]';
    const prevHash = this.lastHash;
    const hash = entryHashOf(prevHash, seq, time, session, subject, action, resource, decision, ruleText, digest, stored);
    const hashBytes = Buffer.from(hash, 'hex');
    const digestBytes = digest === NULL_PAYLOAD_DIGEST ? NULL_PAYLOAD_DIGEST_BYTES : Buffer.from(digest, 'hex');
    this.rows.push(seq, time, session, subject, action, resource, decision, ruleText, digestBytes, stored, this.lastHashBytes, hashBytes);
    this.buffered++;
    this.lastSeq = seq;
    this.lastHash = hash;
    this.lastHashBytes = hashBytes;
    this.lastTime = time;
    return {
      seq, time, session: session || null, subject, action, resource,
      decision: decision || null, ruleIds, payloadDigest: digest, payload: input.payload ?? null, prevHash, hash,
    };
  }

  /** One transaction for everything buffered; `durable` = synchronous=FULL for this commit (one fsync). */
  private flushNow(wantDurable: boolean): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    const waiters = this.waiters;
    // Any flush that carries a synchronous entry is a durable one, whoever triggered it.
    const durable = wantDurable || waiters.length > 0;
    if (this.buffered === 0) { this.waiters = []; for (const w of waiters) w.resolve(); return; }
    const rows = this.rows;
    const first = this.committed.seq + 1;
    const target = { seq: this.lastSeq, hash: this.lastHash };
    try {
      // Pending first: a crash after the commit but before the final head write still verifies. No fsync: the signed
      // copy committed with the entries (meta db_head) covers power loss, so a durable append costs one fsync.
      this.head.write({ logId: this.logId, committed: this.committed, pending: target }, false);
      if (durable) this.db.pragma('synchronous = FULL');
      try {
        this.writeRows(rows, target);
      } finally {
        if (durable) this.db.pragma('synchronous = NORMAL');
      }
    } catch (e) {
      // Keep the rows: the chain in memory already includes them, and the next flush retries in order.
      this.writeError = { type: 'write-failed', message: `audit write failed: ${(e as Error).message}`, value: this.buffered, threshold: 0 };
      this._onDidWarn.fire(this.writeError);
      this.waiters = [];
      const err = new AirlockError(AUDIT_WRITE_FAILED, this.writeError.message, 'check free disk space and the state volume; the action was not allowed to proceed');
      for (const w of waiters) w.reject(err);
      return;
    }
    this.rows = [];
    this.buffered = 0;
    this.waiters = [];
    this.writeError = undefined;
    this.committed = target;
    this.head.write({ logId: this.logId, committed: target, pending: null }, false);
    for (const w of waiters) w.resolve();
    if (this._onDidAppend.hasListeners) this._onDidAppend.fire({ firstSeq: first, lastSeq: target.seq });
  }

  private checkHeadAtOpen(head: SignedHead | 'missing' | 'bad-signature', empty: boolean, base: { seq: number; hash: string }): void {
    if (head === 'missing') {
      if (empty) { this.head.write({ logId: this.logId, committed: this.committed, pending: null }, true); return; }
      this._verification = { type: 'tampered', reason: 'head-missing', message: `the signed head ${this.headPath} is missing`, ms: 0 };
      return;
    }
    if (head === 'bad-signature') {
      this._verification = { type: 'tampered', reason: 'head-signature', message: 'the signed head does not match the audit key', ms: 0 };
      return;
    }
    try {
      if (head.logId !== this.logId) throw new Tampered('wrong-log', 'the signed head belongs to another log');
      compareHead(head, this.committed, {
        dbHead: readDbHead(this.db, this.key, this.logId),
        hashAt: (seq) => (seq === base.seq ? base.hash : this.db.prepare('SELECT lower(hex(hash)) FROM entries WHERE seq = ?').pluck().get(seq) as string | undefined),
      });
      // Finalise what a crash left pending or behind (either way the tail is now the committed head).
      if (head.pending || head.committed.seq !== this.committed.seq) this.head.write({ logId: this.logId, committed: this.committed, pending: null }, true);
    } catch (e) {
      if (!(e instanceof Tampered)) throw e;
      this._verification = { type: 'tampered', reason: e.reason, seq: e.seq, message: e.message, ms: 0 };
    }
  }

  private describeBroken(): string {
    const v = this._verification;
    return v?.type === 'tampered' ? `${v.seq !== undefined ? `entry ${v.seq}: ` : ''}${v.message}` : v?.type === 'unusable' ? v.message : 'unknown';
  }

  private createLogId(): string {
    const id = crypto.randomBytes(16).toString('hex');
    this.db.prepare(`INSERT INTO meta (key, value) VALUES ('log_id', ?)`).run(id);
    return id;
  }

  private closeBuffers(): void {
    if (this.immediate) { clearImmediate(this.immediate); this.immediate = undefined; }
    try { this.flushNow(true); } catch { /* reported through onDidWarn */ }
  }
}
