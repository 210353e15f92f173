// Patch path rules: workspace-relative, no escapes, and protected paths (.git, Airlock's own state, policy callback).
import { AirlockError } from '../../../protocol/src/errors';
import { patchPathProblem } from '../../../protocol/src/patches';

/** Returns a reason string when a path must not be written by a patch, undefined when the policy has no objection. */
export type ProtectedCheck = (rel: string) => string | boolean | undefined;

/** Airlock's own state and policy live here inside a workspace; `.git` anywhere covers nested repositories too. */
export const DEFAULT_PROTECTED_DIRS = ['.git', '.airlock'];
export const pathProblem = patchPathProblem;

export function assertPatchPath(rel: string): string {
  const why = pathProblem(rel);
  if (why) throw new AirlockError('PATCH_BAD_PATH', `refusing patch path ${JSON.stringify(rel.slice(0, 200))}: ${why}`,
    'patch paths are relative to the workspace root and may not leave it');
  return rel;
}

/** Default protection plus the policy engine's callback; returns the reason a path is protected. */
export function protectedReason(rel: string, policy?: ProtectedCheck): string | undefined {
  const segs = rel.split('/');
  for (const d of DEFAULT_PROTECTED_DIRS) {
    if (segs.includes(d)) return `${d}/ is protected`;
  }
  const r = policy?.(rel);
  if (r === true) return 'protected by policy';
  if (typeof r === 'string' && r) return r;
  return undefined;
}

export function joinRel(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}
