// Verify-before-merge results and provenance chains (merged line -> hunk -> decision -> sandbox run -> model turn).
import { z } from 'zod';
import { PatchSetId, Sha256 } from './patches';

const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/);

/** The tests rerun on exactly the accepted subset of a set (base + accepted hunks, as the next merge would write it). */
export const Verification = z.object({
  setId: PatchSetId,
  /** sha256 over the accepted tree's change: every path the merge writes with the hash it applies on and the hash
   * (and mode) it leaves; the merge compares it with its own plan, so a verification of another subset never counts. */
  treeDigest: Digest,
  /** Hunk ids the tree holds (accepted and merging cleanly). */
  hunks: z.array(z.string()),
  /** passed: tests ran and none failed; failed: some failed; error: the run itself could not give a result. */
  outcome: z.enum(['passed', 'failed', 'error']),
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /** Names of the failing tests, when the runner names them (capped). */
  failing: z.array(z.string().max(500)).max(100),
  template: z.string(),
  image: z.string().optional(),
  /** sha256 of the policy files in force when it ran. */
  policyDigest: Digest.optional(),
  exitCode: z.number().int().nullable(),
  durationMs: z.number().nonnegative(),
  at: z.number(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type Verification = z.infer<typeof Verification>;

/** An audit entry a provenance step rests on (its sequence number and chain hash). */
export const AuditRef = z.object({ seq: z.number().int().positive(), hash: z.string() });

/** What wrote a merged hunk, as the audit log and the task's transcript know it; absent where they do not. */
export const HunkLinks = z.object({
  decision: z.object({ decision: z.string(), subject: z.string(), at: z.number(), audit: AuditRef }).optional(),
  task: z
    .object({ taskId: z.string(), provider: z.string().optional(), model: z.string().optional(), mode: z.string().optional() })
    .optional(),
  sandbox: z.object({ sandboxId: z.string(), template: z.string().optional(), audit: AuditRef.optional() }).optional(),
  /** The agent's allowed writes of this file in the task (narrowed to those whose text holds the hunk's first added line). */
  toolCalls: z.array(z.object({ callId: z.string(), tool: z.string(), audit: AuditRef, turn: z.number().int().optional() })).max(50),
  /** Model turns (1-based, as the task's transcript numbers them) in which those calls were made. */
  turns: z.array(z.number().int()),
});
export type HunkLinks = z.infer<typeof HunkLinks>;

/** Per merged hunk: where it landed (post-merge lines, 1-based inclusive; endLine < startLine for a pure deletion). */
export const MergedHunk = z.object({
  path: z.string(),
  hunkId: z.string(),
  /** sha256 of the hunk's lines (its content, independent of where it applies). */
  hunkDigest: Sha256,
  startLine: z.number().int().nonnegative(),
  endLine: z.number().int().nonnegative(),
  /** The file's content hash right after this merge (blame maps later edits through it) and right before it. */
  postHash: Sha256,
  preHash: Sha256.nullable(),
  links: HunkLinks.optional(),
});
export type MergedHunk = z.infer<typeof MergedHunk>;

/** Where one line came from; `origin: workspace` = no Airlock merge wrote it (a person's edit, or older than Airlock). */
export const Provenance = z.object({
  path: z.string(),
  line: z.number().int().positive(),
  text: z.string().optional(),
  origin: z.enum(['merged', 'workspace']),
  /** How the line was followed back: later merges and edits it was traced through, and where it stopped. */
  trail: z.array(z.string()),
  merge: z.object({ setId: PatchSetId, mergeId: z.string(), at: z.number(), audit: AuditRef, treeDigest: Digest.optional() }).optional(),
  hunk: MergedHunk.optional(),
  /** The verify-before-merge run the merge entry recorded (null: the merge was not verified). */
  verification: z
    .object({ outcome: z.string(), treeDigest: z.string(), failing: z.array(z.string()), ofMergedTree: z.boolean() })
    .nullable()
    .optional(),
});
export type Provenance = z.infer<typeof Provenance>;
