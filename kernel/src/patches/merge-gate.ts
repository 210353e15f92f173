// Merge gate: a policy `patch.apply` rule with `when: { tests_passed_on_accepted: false }` refuses a merge whose
// accepted tree has no passing verification (review/verify of exactly that tree).
import { AirlockError } from '../../../protocol/src/errors';
import type { MergePlan } from '../../../protocol/src/patches';
import type { Decision, PolicyRequestInput } from '../../../protocol/src/policy';
import type { Verification } from '../../../protocol/src/provenance';

type Engine = { evaluateAsync(r: PolicyRequestInput, signal?: AbortSignal): Promise<Decision> };

/** Who a person's merge is judged as: `subjects: ["user:*"]` or the tag `merge` match it. */
export const MERGE_SUBJECT = { kind: 'user' as const, id: 'reviewer', tags: ['merge'] };

/** Did the tests pass on exactly this tree? Unknown (not run, another subset, a workspace that changed since) is no. */
export function passedOn(v: Verification | undefined, treeDigest: string): boolean {
  return !!v && v.outcome === 'passed' && v.treeDigest === treeDigest;
}

/** Why this tree's last verification does not count, for the refusal message. */
export function verificationStatus(v: Verification | undefined, treeDigest: string): string {
  if (!v) return 'the accepted changes were not verified';
  if (v.treeDigest !== treeDigest) return 'the last verification was of another accepted subset or workspace state';
  if (v.outcome === 'failed')
    return `tests failed on the accepted changes: ${v.failing.length ? v.failing.join('; ') : `${v.failed} failing`}`;
  if (v.outcome === 'error') return `the verification could not run the tests: ${v.error?.message ?? 'unknown error'}`;
  return 'the tests passed on the accepted changes';
}

/**
 * Judges every path the plan writes as `patch.apply` by the reviewer, with `tests_passed_on_accepted` in the context.
 * Only a matched deny refuses: a policy that says nothing about patch.apply leaves a person's merge to the person, and
 * `ask` is what a person merging already is. An engine that throws refuses (fail closed).
 */
export async function mergeRefusal(
  engine: Engine,
  plan: MergePlan,
  v: Verification | undefined,
  treeDigest: string,
  o: { mode?: string; signal?: AbortSignal } = {},
): Promise<AirlockError | undefined> {
  const passed = passedOn(v, treeDigest);
  const paths = [...new Set(plan.ops.map((x) => x.path))];
  for (const resource of paths) {
    let d: Decision;
    try {
      d = await engine.evaluateAsync(
        {
          subject: MERGE_SUBJECT,
          action: 'patch.apply',
          resource,
          context: { tests_passed_on_accepted: passed, ...(o.mode ? { mode: o.mode } : {}) },
        },
        o.signal,
      );
    } catch (err) {
      return new AirlockError(
        'PATCH_MERGE_REFUSED',
        `the merge policy could not be evaluated for ${resource}: ${(err as Error).message}`,
        'refused to fail closed',
      );
    }
    if (d.decision === 'deny' && d.matched.length) {
      return new AirlockError(
        'PATCH_MERGE_REFUSED',
        `policy ${d.matched.join(', ')} refuses merging ${resource}: ${d.reason} (${verificationStatus(v, treeDigest)})`,
        passed
          ? 'the policy denies this path regardless of tests'
          : `run \`airlock review verify ${plan.setId}\` on the accepted changes, fix what fails, then merge`,
        { setId: plan.setId, failing: v?.treeDigest === treeDigest ? v.failing : [] },
      );
    }
  }
  return undefined;
}
