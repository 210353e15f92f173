// The audit log: hash chain in memory, buffered and group-committed synchronous appends, reads; commits go to writer.ts.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type {
  AuditEntry,
  AuditHead,
  AuditInput,
  AuditPage,
  AuditQuery,
  AuditStats,
  AuditVerifyReport,
  StorageWarning,
} from '../../../protocol/src/audit';
import { AirlockError } from '../../../protocol/src/errors';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import { type Db, openDatabase } from '../store/sqlite';
import { entryHashOf, genesisHash, payloadParts, wellFormed } from './canonical';
import { SEP } from './commit';
import { type ChainPoint, HeadWriter, readHead, type SignedHead } from './head';
import { loadAuditKey } from './key';
import { lockWriter } from './lock';
import { queryEntries } from './query';
import { pruneLog } from './retention';
import { AUDIT_MIGRATIONS } from './schema';
import { collectStats } from './storage';
import { type AuditAppended, type AuditLogOptions, type IAuditLog, type RetentionConfig, SYNC_ACTIONS } from './types';
import { createWriter, type IBatchWriter } from './writer';
import { compareHead, readDbHead, Tampered, verifyAuditLog } from './verify';

export const AUDIT_BROKEN = 'AUDIT_BROKEN';
export const AUDIT_WRITE_FAILED = 'AUDIT_WRITE_FAILED';
export const AUDIT_BAD_ENTRY = 'AUDIT_BAD_ENTRY';
export const AUDIT_LOG_DELETED = 'AUDIT_LOG_DELETED';

const MAX_BACKLOG = 10_000;
/**
 * Batches handed to the writer and not yet answered before a flush waits: bounds what a crash can lose beyond the open
 * buffer (2 × maxBuffer entries) and the memory a burst can pile up, while the thread still overlaps with hashing.
 */
const MAX_IN_FLIGHT = 2;
const ACTION = /^[A-Za-z0-9_.:\/-]{1,128}$/;

interface Waiter {
  resolve(): void;
  reject(e: unknown): void;
}
/** A flushed batch the writer has not confirmed yet. */
interface InFlight {
  first: number;
  last: number;
  waiters: Waiter[];
  failed: boolean;
}

export class AuditLog extends Disposable implements IAuditLog {
  readonly headPath: string;
  private readonly db: Db;
  private readonly key: Buffer;
  private readonly logId: string;
  private readonly writer: IBatchWriter;
  private readonly now: () => number;
  private readonly maxBuffer: number;
  private readonly flushMs: number;
  /** Buffered rows in the writer's batch format (commit.ts `CommitBatch.text`). */
  private text = '';
  /** The last action that passed the ACTION check (most entries repeat one). */
  private lastAction = '';
  private buffered = 0;
  private waiters: Waiter[] = [];
  private inFlight: InFlight[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private lastSeq = 0;
  private lastHash: string;
  private lastTime = 0;
  /** What the database holds (the head's `committed`), as confirmed by the writer. */
  private committed: ChainPoint;
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
      throw new AirlockError(
        AUDIT_LOG_DELETED,
        `the audit database ${opts.dbPath} and its signed head are gone, but the audit key remains`,
        'restore them from a backup; to start a new log on purpose, also remove keys/audit.key',
      );
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
    this._register({ dispose: () => this.db.close() });
    this.logId = (this.db.prepare(`SELECT value FROM meta WHERE key = 'log_id'`).pluck().get() as string) ?? this.createLogId();

    const cp = this.db.prepare('SELECT seq, lower(hex(hash)) AS hash FROM checkpoints ORDER BY seq DESC LIMIT 1').get() as
      { seq: number; hash: string } | undefined;
    const tail = this.db.prepare('SELECT seq, lower(hex(hash)) AS hash, time FROM entries ORDER BY seq DESC LIMIT 1').get() as
      { seq: number; hash: string; time: number } | undefined;
    this.committed = tail ? { seq: tail.seq, hash: tail.hash } : (cp ?? { seq: 0, hash: genesisHash(this.logId) });
    this.lastSeq = this.committed.seq;
    this.lastHash = this.committed.hash;
    this.lastTime = tail?.time ?? 0;
    const existing = readHead(this.headPath, this.key);
    const head = new HeadWriter(this.headPath, this.key, existing.type === 'ok' ? existing.head : undefined);
    try {
      this.checkHeadAtOpen(
        head,
        existing.type === 'ok' ? existing.head : existing.type,
        !tail && !cp,
        cp ?? { seq: 0, hash: genesisHash(this.logId) },
      );
    } finally {
      head.dispose();
    }
    this.writer = this._register(
      createWriter(
        opts.writer,
        {
          dbPath: opts.dbPath,
          db: this.db,
          key: this.key,
          logId: this.logId,
          headPath: this.headPath,
          headCounter: head.lastCounter,
          committed: this.committed,
        },
        { committed: (p) => this.onCommitted(p), failed: (through, message) => this.onFailed(through, message) },
      ),
    );
    // Last in, first out: this runs before the database is closed.
    this._register({ dispose: () => this.closeBuffers() });
  }

  get dbPath(): string {
    return this.opts.dbPath;
  }
  get keyPath(): string {
    return this.opts.keyPath;
  }
  get verification(): AuditVerifyReport | null {
    return this._verification;
  }
  get broken(): boolean {
    return this._verification?.type === 'tampered' || this._verification?.type === 'unusable';
  }

  append(input: AuditInput, opts: { sync: true }): Promise<AuditEntry>;
  append(input: AuditInput, opts?: { sync?: false }): AuditEntry;
  append(input: AuditInput, opts?: { sync?: boolean }): AuditEntry | Promise<AuditEntry> {
    const sync = opts?.sync === true;
    if (this._store.isDisposed) throw new AirlockError(AUDIT_WRITE_FAILED, 'the audit log is closed');
    if (this.broken)
      throw new AirlockError(
        AUDIT_BROKEN,
        `the audit log is damaged: ${this.describeBroken()}`,
        'run `airlock audit verify`; the damaged database is kept for inspection',
      );
    if (!sync && SYNC_ACTIONS.has(input.action))
      throw new AirlockError(AUDIT_BAD_ENTRY, `${input.action} entries must be written with { sync: true }`);
    if (this.writer.stopped) throw new AirlockError(AUDIT_WRITE_FAILED, this.writer.stopped, 'restart the kernel');
    const unwritten = this.lastSeq - this.committed.seq;
    if (this.writeError && unwritten >= MAX_BACKLOG)
      throw new AirlockError(AUDIT_WRITE_FAILED, `the audit log cannot write (${unwritten} entries waiting)`, this.writeError?.message);
    const entry = this.build(input);
    if (sync) {
      return new Promise<AuditEntry>((resolve, reject) => {
        this.waiters.push({ resolve: () => resolve(entry), reject });
        this.immediate ??= setImmediate(() => {
          this.immediate = undefined;
          this.flushNow(true);
        });
      });
    }
    if (this.buffered >= this.maxBuffer) this.flushNow(false);
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushNow(false);
      }, this.flushMs);
      this.timer.unref();
    }
    return entry;
  }

  /** Writes the buffer and returns once the writer has answered for everything flushed so far. */
  flush(): void {
    this.flushNow(false);
    this.writer.drain();
  }

  async verify(signal?: AbortSignal): Promise<AuditVerifyReport> {
    this.flush();
    this.verifying++;
    try {
      const report = await verifyAuditLog({ dbPath: this.dbPath, headPath: this.headPath, keyPath: this.keyPath, signal }).catch(
        (e): AuditVerifyReport => {
          if (signal?.aborted) throw e;
          return { type: 'unusable', code: 'AUDIT_VERIFY_FAILED', message: `verification could not run: ${(e as Error).message}` };
        },
      );
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
    return collectStats(this.db, this.opts, {
      buffered: this.lastSeq - this.committed.seq,
      verification: this._verification,
      writeError: this.writeError,
    });
  }

  head(at?: number): AuditHead {
    this.flush();
    const hash =
      at === undefined
        ? undefined
        : at === this.committed.seq
          ? this.committed.hash
          : (this.db.prepare('SELECT lower(hex(hash)) FROM entries WHERE seq = ?').pluck().get(at) as string | undefined);
    return {
      logId: this.logId,
      seq: this.committed.seq,
      hash: this.committed.hash,
      at: at !== undefined && hash ? { seq: at, hash } : null,
    };
  }

  prune(config: RetentionConfig | undefined = this.opts.retention): { pruned: number; checkpointSeq: number | null } {
    if (this.broken) throw new AirlockError(AUDIT_BROKEN, 'a damaged audit log is never pruned', 'it is kept for inspection');
    if (this.verifying) return { pruned: 0, checkpointSeq: null };
    this.flush();
    const r = pruneLog(this.db, { key: this.key, logId: this.logId, now: this.now(), lastSeq: this.committed.seq }, config ?? {});
    if (r.checkpointSeq !== null) {
      void this.append(
        { subject: 'kernel', action: 'audit.prune', resource: 'audit', payload: { through: r.checkpointSeq, pruned: r.pruned } },
        { sync: true },
      ).catch(() => {});
      this.flush();
    }
    return r;
  }

  private build(input: AuditInput): AuditEntry {
    const action = input.action;
    if (
      typeof input.subject !== 'string' ||
      !input.subject ||
      typeof action !== 'string' ||
      (action !== this.lastAction && !ACTION.test(action))
    ) {
      throw new AirlockError(
        AUDIT_BAD_ENTRY,
        `bad audit entry: subject ${JSON.stringify(input.subject)}, action ${JSON.stringify(input.action)}`,
      );
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
    this.text +=
      seq +
      SEP +
      time +
      SEP +
      session +
      SEP +
      subject +
      SEP +
      action +
      SEP +
      resource +
      SEP +
      decision +
      SEP +
      ruleText +
      SEP +
      digest +
      SEP +
      (stored ?? '') +
      SEP +
      prevHash +
      SEP +
      hash +
      SEP;
    this.buffered++;
    this.lastSeq = seq;
    this.lastHash = hash;
    this.lastTime = time;
    return {
      seq,
      time,
      session: session || null,
      subject,
      action,
      resource,
      decision: decision || null,
      ruleIds,
      payloadDigest: digest,
      payload: input.payload ?? null,
      prevHash,
      hash,
    };
  }

  /** Hands everything buffered to the writer as one batch; `durable` = synchronous=FULL for its commit (one fsync). */
  private flushNow(wantDurable: boolean): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const waiters = this.waiters;
    this.waiters = [];
    if (this.buffered === 0) {
      // Nothing new; what a failed commit left behind is written again (the writer keeps it, in order).
      if (this.committed.seq < this.lastSeq && this.inFlight.every((b) => b.failed)) this.writer.retry();
      for (const w of waiters) w.resolve();
      return;
    }
    const batch: InFlight = { first: this.lastSeq - this.buffered + 1, last: this.lastSeq, waiters, failed: false };
    const text = this.text;
    this.text = '';
    this.buffered = 0;
    this.inFlight.push(batch);
    // Any flush that carries a synchronous entry is a durable one, whoever triggered it.
    this.writer.submit({ text, target: { seq: this.lastSeq, hash: this.lastHash }, durable: wantDurable || waiters.length > 0 });
    try {
      this.writer.drain(MAX_IN_FLIGHT);
    } catch {
      /* a stopped writer already refused the batch through onFailed; the next append says why */
    }
  }

  private onCommitted(point: ChainPoint): void {
    if (point.seq <= this.committed.seq) return;
    const first = this.committed.seq + 1;
    this.committed = point;
    this.writeError = undefined;
    let done = 0;
    while (done < this.inFlight.length && this.inFlight[done].last <= point.seq) done++;
    for (const b of this.inFlight.splice(0, done)) for (const w of b.waiters) w.resolve();
    if (this._onDidAppend.hasListeners && !this._store.isDisposed) this._onDidAppend.fire({ firstSeq: first, lastSeq: point.seq });
  }

  /** Fail closed: whoever awaits these entries hears the error; the entries stay with the writer for the retry. */
  private onFailed(through: number, message: string): void {
    this.writeError = {
      type: 'write-failed',
      message: `audit write failed: ${message}`,
      value: this.lastSeq - this.committed.seq,
      threshold: 0,
    };
    const err = new AirlockError(
      AUDIT_WRITE_FAILED,
      this.writeError.message,
      'check free disk space and the state volume; the action was not allowed to proceed',
    );
    for (const b of this.inFlight) {
      if (b.first > through || b.failed) continue;
      b.failed = true;
      for (const w of b.waiters.splice(0)) w.reject(err);
    }
    if (!this._store.isDisposed) this._onDidWarn.fire(this.writeError);
  }

  private checkHeadAtOpen(writer: HeadWriter, head: SignedHead | 'missing' | 'bad-signature', empty: boolean, base: ChainPoint): void {
    if (head === 'missing') {
      if (empty) {
        writer.write({ logId: this.logId, committed: this.committed, pending: null }, true);
        return;
      }
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
        hashAt: (seq) =>
          seq === base.seq
            ? base.hash
            : (this.db.prepare('SELECT lower(hex(hash)) FROM entries WHERE seq = ?').pluck().get(seq) as string | undefined),
      });
      // Finalise what a crash left pending or behind (either way the tail is now the committed head).
      if (head.pending || head.committed.seq !== this.committed.seq)
        writer.write({ logId: this.logId, committed: this.committed, pending: null }, true);
    } catch (e) {
      if (!(e instanceof Tampered)) throw e;
      this._verification = { type: 'tampered', reason: e.reason, seq: e.seq, message: e.message, ms: 0 };
    }
  }

  private describeBroken(): string {
    const v = this._verification;
    return v?.type === 'tampered'
      ? `${v.seq !== undefined ? `entry ${v.seq}: ` : ''}${v.message}`
      : v?.type === 'unusable'
        ? v.message
        : 'unknown';
  }

  private createLogId(): string {
    const id = crypto.randomBytes(16).toString('hex');
    this.db.prepare(`INSERT INTO meta (key, value) VALUES ('log_id', ?)`).run(id);
    return id;
  }

  private closeBuffers(): void {
    if (this.immediate) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
    try {
      this.flushNow(true);
      this.writer.drain();
    } catch {
      /* reported through onDidWarn */
    }
  }
}
