// Review methods: list and show patch sets, record decisions, plan a merge for the host, stream blobs, report merges, export.
import { z } from 'zod';
import { MergePlan, PatchSet, PatchSetId, PatchSetStatus, PatchSetSummary, ReviewDecision, ReviewState, Sha256 } from '../patches';
import { Verification } from '../provenance';

const Id = z.object({ id: PatchSetId });

export const reviewMethods = {
  'review/list': [z.object({ status: PatchSetStatus.optional() }), z.object({ sets: z.array(PatchSetSummary) })],
  'review/show': [
    Id,
    z.object({
      set: PatchSet,
      review: ReviewState,
      done: z.array(z.string()),
      verification: Verification.optional(),
      /** Whether `verification` is of the tree the recorded decisions would merge now (absent: not checked). */
      verificationCurrent: z.boolean().optional(),
    }),
  ],
  /** Accept/reject files or hunks (audited). Nothing is written: the host merges with review/plan. */
  'review/decide': [ReviewDecision, z.object({ review: ReviewState, status: PatchSetStatus })],
  /** Verify before merge: the accepted subset built in a fresh sandbox and the tests rerun on it (audited, kept with the set). */
  'review/verify': [Id, Verification],
  /** The kernel's merge plan against the workspace as it is now: per-file contents or conflicts, for the host to apply. */
  'review/plan': [Id, MergePlan],
  /** A chunk of full-file content (binary, huge or renamed files), base64; the host verifies the whole against `hash`. */
  'review/blob': [
    Id.extend({
      hash: Sha256,
      offset: z.number().int().min(0),
      length: z
        .number()
        .int()
        .min(1)
        .max(4 * 1024 * 1024),
    }),
    z.object({ data: z.string(), eof: z.boolean() }),
  ],
  /** The host reports what it wrote (or undid); audited, and it moves the set's status. */
  'review/merged': [
    Id.extend({
      mergeId: z.string().max(64),
      outcome: z.enum(['merged', 'undone', 'failed']),
      paths: z.array(z.string()),
      completePaths: z.array(z.string()).optional(),
      appliedHunks: z.array(z.string()).optional(),
    }),
    z.object({ status: PatchSetStatus }),
  ],
  'review/export': [Id.extend({ format: z.literal('git') }), z.object({ text: z.string() })],
} as const;
