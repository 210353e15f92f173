// What the rest of the kernel sees of the audit log: IAuditLog, its options, and which actions must be written synchronously.
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
import type { Event, IDisposable } from '../../../protocol/src/lifecycle';
import * as path from 'node:path';

/** Security-relevant actions: durable before the action proceeds (the append promise resolves after the commit). */
export const SYNC_ACTIONS: ReadonlySet<string> = new Set([
  'policy.decision',
  'token.use',
  'token.mint',
  'policy.update',
  'patch.merge',
  'audit.prune',
]);

export interface RetentionConfig {
  /** Entries older than this (ms) are pruned; 0 or undefined keeps them. */
  maxAgeMs?: number;
  /** The database is pruned (oldest first) to stay under this many bytes; 0 or undefined means no limit. */
  maxBytes?: number;
}

export interface WarningConfig {
  /** Warn when the disk holding the log has less free space than this (default 1 GiB). */
  minDiskFreeBytes?: number;
  /** Warn when the database grows past this (default: 80% of retention.maxBytes, else 2 GiB). */
  maxDbBytes?: number;
}

export interface AuditLogOptions {
  dbPath: string;
  /** Default: `${dbPath}.head`. */
  headPath?: string;
  keyPath: string;
  /** Buffered entries are flushed at this many (default 100) ... */
  maxBuffer?: number;
  /** ... or after this long (default 500 ms), whichever comes first. */
  flushIntervalMs?: number;
  retention?: RetentionConfig;
  warnings?: WarningConfig;
  /**
   * Where commits run: `thread` (default when the writer script is there: SQLite and the head file on their own thread,
   * hashing on the caller's) or `inline` (everything on the caller's thread).
   */
  writer?: 'thread' | 'inline';
  /** Clock (tests). */
  now?: () => number;
}

export interface AuditAppended {
  firstSeq: number;
  lastSeq: number;
}

export interface IAuditLog extends IDisposable {
  readonly dbPath: string;
  readonly headPath: string;
  readonly keyPath: string;
  /** Fires after each committed flush. */
  readonly onDidAppend: Event<AuditAppended>;
  /** Fires when a write fails (threshold warnings come from stats()). */
  readonly onDidWarn: Event<StorageWarning>;
  /** The last verification (open-time head check, startup or on-demand verify); null before any. */
  readonly verification: AuditVerifyReport | null;
  /** True once the chain was found damaged: appends are refused and sessions must not start. */
  readonly broken: boolean;
  /** Durable before the promise resolves (group commit with other synchronous appends of the same tick). */
  append(input: AuditInput, opts: { sync: true }): Promise<AuditEntry>;
  /** Buffered: returned with its hash at once, written within maxBuffer entries or flushIntervalMs. */
  append(input: AuditInput, opts?: { sync?: false }): AuditEntry;
  /** Writes the buffer now (one transaction). */
  flush(): void;
  verify(signal?: AbortSignal): Promise<AuditVerifyReport>;
  query(q: AuditQuery): AuditPage;
  stats(): AuditStats;
  /** Flushes, then the log id and the committed tail (the host's anchor), with the hash of entry `at` when asked. */
  head(at?: number): AuditHead;
  /** Applies the retention config (or the one given): prunes old entries behind a signed checkpoint. */
  prune(config?: RetentionConfig): { pruned: number; checkpointSeq: number | null };
}

export function auditPaths(stateDir: string): { dbPath: string; headPath: string; keyPath: string } {
  const dbPath = path.join(stateDir, 'audit.db');
  return { dbPath, headPath: `${dbPath}.head`, keyPath: path.join(stateDir, 'keys', 'audit.key') };
}
