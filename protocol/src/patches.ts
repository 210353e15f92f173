// Patch sets: what a sandbox proposes (per-file patches with stable hunk ids), review decisions and merge plans.
import { z } from 'zod';
import { type ConfineOptions, confinePath } from './paths';

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');
export const GitSha1 = z.string().regex(/^[0-9a-f]{40}$/, 'a lowercase hex git blob id');
/** Permission bits only (setuid/setgid/sticky never travel through a patch). */
export const FileMode = z.number().int().min(0).max(0o777);
/** Workspace-relative, `/`-separated; newlines and other odd bytes are allowed, `..`/absolute paths are not (checked by the kernel). */
export const PatchPath = z.string().min(1).max(4096);
export const PatchSetId = z.string().regex(/^ps_[a-z0-9_]{4,64}$/);

/**
 * One unified-diff hunk. `oldStart`/`newStart` follow jsdiff: 1-based, and for an empty side the index of the line
 * after the insertion point (so the base lines covered are [oldStart-1, oldStart-1+oldLines) zero-based).
 * `lines` start with ' ', '-', '+' or '\' (the "\ No newline at end of file" marker for the line before it).
 */
export const Hunk = z.object({
  id: z.string().regex(/^h_[0-9a-f]{16}$/),
  oldStart: z.number().int().min(0),
  oldLines: z.number().int().min(0),
  newStart: z.number().int().min(0),
  newLines: z.number().int().min(0),
  lines: z.array(z.string()),
});
export type Hunk = z.infer<typeof Hunk>;

export const FullFileReason = z.enum(['binary', 'huge', 'encoding']);

export const FilePatch = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('modify'),
    path: PatchPath,
    baseHash: Sha256,
    newHash: Sha256,
    oldMode: FileMode,
    newMode: FileMode,
    hunks: z.array(Hunk),
    added: z.number().int(),
    removed: z.number().int(),
  }),
  z.object({ type: z.literal('add'), path: PatchPath, newHash: Sha256, newMode: FileMode, hunks: z.array(Hunk), added: z.number().int() }),
  /** `hunks` holds the removed text for text files (empty for binary/huge ones, which carry `gitOld`). */
  z.object({
    type: z.literal('delete'),
    path: PatchPath,
    baseHash: Sha256,
    oldMode: FileMode,
    hunks: z.array(Hunk),
    removed: z.number().int(),
    symlink: z.boolean(),
    linkTarget: z.string().optional(),
    gitOld: GitSha1.optional(),
  }),
  /** Same content moved (detected as a delete and an add with the same content hash). */
  z.object({ type: z.literal('rename'), from: PatchPath, path: PatchPath, baseHash: Sha256, oldMode: FileMode, newMode: FileMode }),
  z.object({ type: z.literal('mode'), path: PatchPath, baseHash: Sha256, oldMode: FileMode, newMode: FileMode }),
  /** Full-file mode: binary, huge or non-UTF-8 content, replaced whole. `baseHash` null = new file. */
  z.object({
    type: z.literal('binary'),
    path: PatchPath,
    reason: FullFileReason,
    baseHash: Sha256.nullable(),
    newHash: Sha256,
    oldMode: FileMode.nullable(),
    newMode: FileMode,
    oldSize: z.number().int().nullable(),
    size: z.number().int(),
    gitOld: GitSha1.nullable(),
    gitNew: GitSha1,
  }),
]);
export type FilePatch = z.infer<typeof FilePatch>;
export type FilePatchType = FilePatch['type'];

/** A change the sandbox made that is never proposed (protected path, escape attempt, device file...). */
export const BlockedChange = z.object({ path: z.string(), reason: z.string() });
export type BlockedChange = z.infer<typeof BlockedChange>;

export const Decision = z.enum(['accept', 'reject']);
export type Decision = z.infer<typeof Decision>;
export const PatchSetStatus = z.enum(['pending', 'merged', 'rejected']);

export const PatchSet = z.object({
  id: PatchSetId,
  taskId: z.string().optional(),
  sandboxId: z.string().optional(),
  createdAt: z.number(),
  source: z.enum(['overlay', 'snapshot']),
  files: z.array(FilePatch),
  blocked: z.array(BlockedChange),
  warnings: z.array(z.string()),
  stats: z.object({ files: z.number().int(), added: z.number().int(), removed: z.number().int() }),
  /** Whether the sandbox's tests passed (null: not run); input to auto-merge criteria. */
  testsPassed: z.boolean().nullable(),
  status: PatchSetStatus,
});
export type PatchSet = z.infer<typeof PatchSet>;

/** One review decision: a whole file (no hunkId) or one hunk. */
export const ReviewItem = z.object({ path: PatchPath, hunkId: z.string().optional(), decision: Decision });
export const ReviewDecision = z.object({
  setId: PatchSetId,
  items: z.array(ReviewItem).max(100_000),
  note: z.string().max(2000).optional(),
});
export type ReviewItem = z.infer<typeof ReviewItem>;
export type ReviewDecision = z.infer<typeof ReviewDecision>;

/** Accumulated decisions of a set: per path, a file-level decision and per-hunk ones (hunk wins over file). */
export const ReviewState = z.record(z.string(), z.object({ file: Decision.optional(), hunks: z.record(z.string(), Decision) }));
export type ReviewState = z.infer<typeof ReviewState>;

export const FileContent = z.discriminatedUnion('encoding', [
  z.object({ encoding: z.literal('utf8'), text: z.string() }),
  /** Fetched with review/blob (or from a local file on the host) and verified against `hash`. */
  z.object({ encoding: z.literal('blob'), hash: Sha256, size: z.number().int() }),
]);
export type FileContent = z.infer<typeof FileContent>;

/**
 * One host-side write. `expect` is the SHA-256 of the workspace file the plan was made against (null: must not
 * exist); the applier refuses the whole set when any file differs.
 */
export const FileOp = z.discriminatedUnion('type', [
  z.object({ type: z.literal('write'), path: PatchPath, expect: Sha256.nullable(), content: FileContent, newHash: Sha256, mode: FileMode }),
  z.object({ type: z.literal('delete'), path: PatchPath, expect: Sha256 }),
  z.object({ type: z.literal('chmod'), path: PatchPath, expect: Sha256, mode: FileMode }),
]);
export type FileOp = z.infer<typeof FileOp>;

export const MergeConflict = z.object({ path: PatchPath, hunkId: z.string().optional(), reason: z.string() });
export type MergeConflict = z.infer<typeof MergeConflict>;

export const MergePlan = z.object({
  setId: PatchSetId,
  ops: z.array(FileOp),
  conflicts: z.array(MergeConflict),
  /** Hunk ids written by this plan (accepted and merged cleanly, possibly three-way). */
  appliedHunks: z.array(z.string()),
  /** Paths whose patch is accepted and fully covered by `ops` (or already identical in the workspace). */
  completePaths: z.array(PatchPath),
  merged3Way: z.array(PatchPath),
});
export type MergePlan = z.infer<typeof MergePlan>;

/** Policy-controlled auto-merge criteria; every listed condition must hold. Off unless `enabled`. */
export const AutoMergeCriteria = z.object({
  enabled: z.boolean().default(false),
  /** Globs (picomatch) every changed path must match, e.g. ["test/**"]. */
  paths: z.array(z.string()).default([]),
  maxChangedLines: z.number().int().min(0).optional(),
  requireTestsPassed: z.boolean().default(true),
  /** Workflow modes in which auto-merge may happen; strict is never allowed. */
  modes: z.array(z.string()).default(['explore']),
  allowDeletes: z.boolean().default(false),
  allowBinary: z.boolean().default(false),
});
export type AutoMergeCriteria = z.infer<typeof AutoMergeCriteria>;

export const PatchSetSummary = z.object({
  id: PatchSetId,
  taskId: z.string().optional(),
  createdAt: z.number(),
  status: PatchSetStatus,
  source: z.enum(['overlay', 'snapshot']),
  files: z.number().int(),
  added: z.number().int(),
  removed: z.number().int(),
  blocked: z.number().int(),
  testsPassed: z.boolean().nullable(),
  pendingHunks: z.number().int(),
});
export type PatchSetSummary = z.infer<typeof PatchSetSummary>;

/** The path a file patch writes (its new name for renames). */
export function patchPaths(f: FilePatch): string[] {
  return f.type === 'rename' ? [f.from, f.path] : [f.path];
}

/** How patch paths are confined (protocol/src/paths.ts): exact (a file's own name, never folded or normalised), no
 * backslash (a separator on a Windows host that applies the patch), at most 4096 UTF-8 bytes. Control characters are
 * named by the kernel's unsafe-character check (kernel/src/patches/paths.ts) and the host applier's. */
export const PATCH_PATH_RULES: ConfineOptions = {
  form: 'exact',
  backslash: 'reject',
  controls: 'allow',
  nfc: false,
  max: { n: 4096, unit: 'bytes' },
};

/** Why a relative path is unacceptable in a patch, or undefined when it is fine. */
export function patchPathProblem(rel: string): string | undefined {
  const c = confinePath(undefined, rel, PATCH_PATH_RULES);
  switch (c.type) {
    case 'ok':
      return undefined;
    case 'absolute':
      return 'absolute path';
    case 'outside':
      return 'path climbs above the workspace'; // exact form never folds, so `..` is a bad segment first
    case 'invalid':
      return c.problem === 'empty' ? 'empty path' : `path ${c.reason}`;
  }
}
