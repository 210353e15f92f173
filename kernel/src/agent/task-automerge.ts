// Auto-merge of a task's patch set: the person's criteria (settings / CLI flags) plus the policy's `patch.apply` rules.
import type { Decision, PolicyRequestInput } from '../../../protocol/src/policy';
import { type AutoMergeCriteria, type PatchSet, patchPaths } from '../../../protocol/src/patches';
import type { Verification } from '../../../protocol/src/provenance';
import { automergeDecision, evaluateAutoMerge, type AutoMergeVerdict } from '../patches/automerge';
import { verificationStatus } from '../patches/merge-gate';
import { acceptedTreeDigest } from '../patches/verify-tree';
import type { PatchService } from '../patches/service';

type Engine = { evaluateAsync(r: PolicyRequestInput, signal?: AbortSignal): Promise<Decision> };

/** The subject tag a policy author matches to limit auto-merge (`subjects: ["tag:automerge"]`). */
export const AUTOMERGE_TAG = 'automerge';

/**
 * Why the policy refuses to let these paths be applied without a person: every path is judged as `patch.apply` by
 * `agent:<taskId>` tagged `automerge`; a matching deny or ask rule refuses (ask = a person must look). A request no rule
 * matches (default deny) leaves the decision to the criteria, since the default policies say nothing about patch.apply.
 */
export async function policyRefusals(
  engine: Engine | undefined,
  set: PatchSet,
  o: { taskId: string; mode: string; signal?: AbortSignal },
): Promise<string[]> {
  if (!engine) return ['no policy engine: auto-merge fails closed'];
  const out: string[] = [];
  const paths = [...new Set(set.files.flatMap(patchPaths))];
  for (const resource of paths) {
    const d = await engine.evaluateAsync(
      { subject: { kind: 'agent', id: o.taskId, tags: [AUTOMERGE_TAG] }, action: 'patch.apply', resource, context: { mode: o.mode } },
      o.signal,
    );
    if (d.decision !== 'allow' && d.matched.length)
      out.push(
        `policy ${d.matched.join(', ')} ${d.decision === 'ask' ? 'asks a person about' : 'denies'} patch.apply on ${resource}: ${d.reason}`,
      );
  }
  return out;
}

/** Runs verify-before-merge on the set with the given decisions (kernel/src/patches/verify.ts). */
export type AutoMergeVerifier = (
  setId: string,
  review: ReturnType<typeof automergeDecision>,
  signal?: AbortSignal,
) => Promise<Verification>;

/**
 * Evaluates (and audits, as `review.automerge`) auto-merge of a fresh set; when allowed the kernel fires patches/ready
 * autoMerge. Auto-merge always requires verify-before-merge: the whole set is built in a fresh sandbox and the tests
 * must pass on it (only once everything else allows it, so a refused set costs no sandbox). No verifier refuses.
 */
export async function autoMergeTaskSet(o: {
  patches: PatchService;
  engine?: Engine;
  taskId: string;
  mode: string;
  criteria: AutoMergeCriteria;
  set: PatchSet;
  signal?: AbortSignal;
  verify?: AutoMergeVerifier;
}): Promise<AutoMergeVerdict> {
  // Strict mode never auto-merges (the evaluator refuses it); the policy is not asked then.
  const refusals = o.mode === 'strict' ? [] : await policyRefusals(o.engine, o.set, o);
  if (evaluateAutoMerge(o.set, o.criteria, { mode: o.mode, refusals }).allowed) refusals.push(...(await verifyRefusals(o)));
  return o.patches.autoMerge(o.set.id, o.criteria, { mode: o.mode, refusals });
}

async function verifyRefusals(o: {
  patches: PatchService;
  set: PatchSet;
  signal?: AbortSignal;
  verify?: AutoMergeVerifier;
}): Promise<string[]> {
  if (!o.verify) return ['verify-before-merge is not available: auto-merge fails closed'];
  const review = automergeDecision(o.set);
  try {
    const v = await o.verify(o.set.id, review, o.signal);
    const digest = acceptedTreeDigest(await o.patches.plan(o.set.id, o.signal, review));
    return v.outcome === 'passed' && v.treeDigest === digest ? [] : [verificationStatus(v, digest)];
  } catch (err) {
    if (o.signal?.aborted) throw err;
    return [`verify-before-merge failed: ${(err as Error).message}`];
  }
}
