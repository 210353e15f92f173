// The audit log: opening, the refusals before each append, reads; chain in chain.ts, batching in group-commit.ts, commits in writer.ts.
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
import { AUDIT_BAD_ENTRY, ChainTip } from './chain';
import { GroupCommit } from './group-commit';
import type { ChainPoint } from './head';
import { loadAuditKey } from './key';
import { lockWriter } from './lock';
import { openChain } from './open';
import { queryEntries } from './query';
import { pruneLog } from './retention';
import { AUDIT_MIGRATIONS } from './schema';
import { collectStats } from './storage';
import { type AuditAppended, type AuditLogOptions, type IAuditLog, type RetentionConfig, SYNC_ACTIONS } from './types';
import { createWriter, type IBatchWriter } from './writer';
import { verifyAuditLog } from './verify';

export { AUDIT_BAD_ENTRY };
export const AUDIT_BROKEN = 'AUDIT_BROKEN';
export const AUDIT_WRITE_FAILED = 'AUDIT_WRITE_FAILED';
export const AUDIT_LOG_DELETED = 'AUDIT_LOG_DELETED';

const MAX_BACKLOG = 10_000;

export class AuditLog extends Disposable implements IAuditLog {
  readonly headPath: string;
  private readonly db: Db;
  private readonly key: Buffer;
  private readonly logId: string;
  private readonly writer: IBatchWriter;
  private readonly now: () => number;
  /** The chain as appended, ahead of `committed` by the entries buffered or with the writer. */
  private readonly chain: ChainTip;
  private readonly batches: GroupCommit;
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
    const opened = openChain(this.db, this.key, this.headPath);
    this.logId = opened.logId;
    this.committed = opened.committed;
    this.chain = new ChainTip(this.committed, opened.lastTime, this.now);
    this._verification = opened.verification;
    this.writer = this._register(
      createWriter(
        opts.writer,
        {
          dbPath: opts.dbPath,
          db: this.db,
          key: this.key,
          logId: this.logId,
          headPath: this.headPath,
          headCounter: opened.headCounter,
          committed: this.committed,
        },
        { committed: (p) => this.onCommitted(p), failed: (through, message) => this.onFailed(through, message) },
      ),
    );
    const maxBuffer = opts.maxBuffer ?? 100;
    this.batches = new GroupCommit(this.chain, this.writer, () => this.committed.seq, maxBuffer, opts.flushIntervalMs ?? 500);
    // Last in, first out: this runs before the database is closed.
    this._register({ dispose: () => this.batches.close() });
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
    const unwritten = this.chain.lastSeq - this.committed.seq;
    if (this.writeError && unwritten >= MAX_BACKLOG)
      throw new AirlockError(AUDIT_WRITE_FAILED, `the audit log cannot write (${unwritten} entries waiting)`, this.writeError?.message);
    const entry = this.chain.build(input);
    if (sync) return this.batches.awaitDurable(entry);
    this.batches.schedule();
    return entry;
  }

  /** Writes the buffer and returns once the writer has answered for everything flushed so far. */
  flush(): void {
    this.batches.flushNow(false);
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
      buffered: this.chain.lastSeq - this.committed.seq,
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

  private onCommitted(point: ChainPoint): void {
    if (point.seq <= this.committed.seq) return;
    const first = this.committed.seq + 1;
    this.committed = point;
    this.writeError = undefined;
    this.batches.confirmed(point.seq);
    if (this._onDidAppend.hasListeners && !this._store.isDisposed) this._onDidAppend.fire({ firstSeq: first, lastSeq: point.seq });
  }

  /** Fail closed: whoever awaits these entries hears the error; the entries stay with the writer for the retry. */
  private onFailed(through: number, message: string): void {
    this.writeError = {
      type: 'write-failed',
      message: `audit write failed: ${message}`,
      value: this.chain.lastSeq - this.committed.seq,
      threshold: 0,
    };
    const err = new AirlockError(
      AUDIT_WRITE_FAILED,
      this.writeError.message,
      'check free disk space and the state volume; the action was not allowed to proceed',
    );
    this.batches.refuse(through, err);
    if (!this._store.isDisposed) this._onDidWarn.fire(this.writeError);
  }

  private describeBroken(): string {
    const v = this._verification;
    return v?.type === 'tampered'
      ? `${v.seq !== undefined ? `entry ${v.seq}: ` : ''}${v.message}`
      : v?.type === 'unusable'
        ? v.message
        : 'unknown';
  }
}
