// Audit log records, filters, verification reports and storage stats: the shapes kernel, CLI and the audit view share.
import { z } from 'zod';

export const Hash = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256 digest');
const Name = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:\/-]+$/, 'letters, digits and _ . : / -');
/** Conventional decisions: policy `allow|deny|ask`, review `accept|reject`, outcomes `ok|error`; any short word is allowed. */
export const AuditDecision = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z][a-z0-9_-]*$/);

/** What a kernel module hands to the audit log; sequence, time and hashes are assigned by the log. */
export const AuditInput = z.object({
  session: z.string().min(1).max(128).nullable().optional(),
  /** Who acted: `agent`, `user`, `kernel`, `policy`, `cli`, ... */
  subject: z.string().min(1).max(128),
  /** Dotted action name: `policy.decision`, `tool.call`, `sandbox.start`, `patch.review`, `patch.merge`, ... */
  action: Name,
  /** What was acted on: a workspace path, a sandbox id, a command line (sanitised by the caller). */
  resource: z.string().max(4096).default(''),
  decision: AuditDecision.nullable().optional(),
  ruleIds: z.array(Name).max(64).default([]),
  /** Free JSON detail (sanitised by the caller). Large payloads keep only their digest. */
  payload: z.unknown().optional(),
});
export type AuditInput = z.input<typeof AuditInput>;

export const AuditEntry = z.object({
  seq: z.number().int().positive(),
  /** Milliseconds since the epoch; never decreases along the chain. */
  time: z.number().int().nonnegative(),
  session: z.string().nullable(),
  subject: z.string(),
  action: z.string(),
  resource: z.string(),
  decision: z.string().nullable(),
  ruleIds: z.array(z.string()),
  /** SHA-256 of the payload's canonical JSON (the payload itself may be omitted when large). */
  payloadDigest: Hash,
  payload: z.unknown().nullable(),
  prevHash: Hash,
  hash: Hash,
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditFilter = z.object({
  session: z.string().max(128).optional(),
  /** Exact action, or a prefix ending in `.` / `*` (`patch.` or `patch.*`). */
  action: z.string().max(128).optional(),
  decision: z.string().max(32).optional(),
  subject: z.string().max(128).optional(),
  /** Substring of the resource. */
  resource: z.string().max(4096).optional(),
  /** Inclusive time range, ms since the epoch. */
  since: z.number().int().nonnegative().optional(),
  until: z.number().int().nonnegative().optional(),
});
export type AuditFilter = z.infer<typeof AuditFilter>;

export const AuditQuery = AuditFilter.extend({
  /** Keyset paging: entries strictly after (ascending) or before (descending) this sequence number. */
  cursor: z.number().int().nonnegative().optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
  limit: z.number().int().min(1).max(5000).default(200),
  /** Include payloads (the detail view); the table leaves them out. */
  payloads: z.boolean().default(false),
});
export type AuditQuery = z.input<typeof AuditQuery>;

export const AuditPage = z.object({
  entries: z.array(AuditEntry),
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor: z.number().int().nonnegative().optional(),
});
export type AuditPage = z.infer<typeof AuditPage>;

/** Why a chain is not intact; `seq` is the first entry that fails, when one can be named. */
export const TamperReason = z.enum([
  'hash-mismatch',
  'broken-link',
  'sequence-gap',
  'bad-start',
  'truncated',
  'unsigned-tail',
  'head-mismatch',
  'head-signature',
  'head-missing',
  'checkpoint-signature',
  'wrong-log',
  'corrupt',
  'schema',
]);
export type TamperReason = z.infer<typeof TamperReason>;

export const AuditVerifyReport = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('intact'),
    entries: z.number().int(),
    firstSeq: z.number().int(),
    lastSeq: z.number().int(),
    headHash: Hash,
    /** The previous run stopped between writing the head and committing (or after committing and before finalising). */
    recovered: z.boolean(),
    ms: z.number(),
  }),
  z.object({ type: z.literal('tampered'), seq: z.number().int().optional(), reason: TamperReason, message: z.string(), ms: z.number() }),
  z.object({ type: z.literal('unusable'), code: z.string(), message: z.string(), hint: z.string().optional() }),
]);
export type AuditVerifyReport = z.infer<typeof AuditVerifyReport>;

export const StorageWarning = z.object({
  type: z.enum(['disk-free', 'db-size', 'write-failed']),
  message: z.string(),
  value: z.number(),
  threshold: z.number(),
});
export type StorageWarning = z.infer<typeof StorageWarning>;

export const AuditStats = z.object({
  entries: z.number().int(),
  firstSeq: z.number().int(),
  lastSeq: z.number().int(),
  oldestTime: z.number().int().nullable(),
  newestTime: z.number().int().nullable(),
  dbBytes: z.number().int(),
  walBytes: z.number().int(),
  diskFreeBytes: z.number().int().nullable(),
  bufferedEntries: z.number().int(),
  /** The last retention checkpoint: entries up to `seq` were pruned; the chain continues from `hash`. */
  checkpoint: z.object({ seq: z.number().int(), hash: Hash, time: z.number().int() }).nullable(),
  /** Result of the last verification (at kernel start or on demand). */
  verification: AuditVerifyReport.nullable(),
  warnings: z.array(StorageWarning),
  dbPath: z.string(),
});
export type AuditStats = z.infer<typeof AuditStats>;

/** The log's identity and tail, for the host's anchor (`audit/head`); `at` is the hash of the entry asked about. */
export const AuditHead = z.object({
  logId: z.string().regex(/^[0-9a-f]{32}$/),
  seq: z.number().int().nonnegative(),
  hash: Hash,
  /** The entry at the asked sequence number: null when it was pruned (or never existed). */
  at: z.object({ seq: z.number().int().nonnegative(), hash: Hash }).nullable(),
});
export type AuditHead = z.infer<typeof AuditHead>;
