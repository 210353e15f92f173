// Auto-merge criteria (policy data): every condition must hold; never in strict mode. Pure, so it is easy to audit.
import picomatch from 'picomatch';
import type { AutoMergeCriteria, PatchSet, ReviewState } from '../../../protocol/src/patches';
import { patchPaths } from '../../../protocol/src/patches';

export interface AutoMergeVerdict {
  allowed: boolean;
  reasons: string[];
  criteria: AutoMergeCriteria;
}

/** `ctx.refusals`: reasons found elsewhere (the policy's patch.apply rules) that refuse it too. */
export function evaluateAutoMerge(
  set: PatchSet,
  criteria: AutoMergeCriteria,
  ctx: { mode: string; refusals?: string[] },
): AutoMergeVerdict {
  const reasons: string[] = [...(ctx.refusals ?? [])];
  if (!criteria.enabled) reasons.push('auto-merge is off');
  if (ctx.mode === 'strict') reasons.push('auto-merge is never allowed in strict mode');
  else if (!criteria.modes.includes(ctx.mode)) reasons.push(`mode ${ctx.mode} is not one of ${criteria.modes.join(', ') || '(none)'}`);
  if (!set.files.length) reasons.push('the patch set is empty');
  if (set.blocked.length) reasons.push(`${set.blocked.length} change(s) were blocked; a person should look`);
  if (criteria.requireTestsPassed && set.testsPassed !== true)
    reasons.push(set.testsPassed === false ? 'tests failed in the sandbox' : 'tests were not run');
  const lines = set.stats.added + set.stats.removed;
  if (criteria.maxChangedLines !== undefined && lines > criteria.maxChangedLines)
    reasons.push(`${lines} changed lines exceed the limit of ${criteria.maxChangedLines}`);
  const match = criteria.paths.length ? picomatch(criteria.paths, { dot: false }) : () => true;
  for (const f of set.files) {
    for (const p of patchPaths(f)) if (!match(p)) reasons.push(`${p} is outside the auto-merge paths`);
    if (f.type === 'delete' && !criteria.allowDeletes) reasons.push(`${f.path} would be deleted`);
    if (f.type === 'binary' && !criteria.allowBinary) reasons.push(`${f.path} is a full-file (binary) change`);
  }
  return { allowed: reasons.length === 0, reasons, criteria };
}

/** The decisions an allowed auto-merge records: every file accepted. */
export function automergeDecision(set: PatchSet): ReviewState {
  return Object.fromEntries(set.files.map((f) => [f.path, { file: 'accept' as const, hunks: {} }]));
}
