// Patch path rules: workspace-relative, no escapes, no unsafe characters, and protected paths (.git, .airlock, policy).
import { AirlockError } from '../../../protocol/src/errors';
import { patchPathProblem } from '../../../protocol/src/patches';
import { escapeUnsafe, sameSegment, unsafeChar } from '../../../core/src/policy/fold';

/** Returns a reason string when a path must not be written by a patch, undefined when the policy has no objection. */
export type ProtectedCheck = (rel: string) => string | boolean | undefined;

/** Airlock's own state and policy live here inside a workspace; `.git` anywhere covers nested repositories too. */
export const DEFAULT_PROTECTED_DIRS = ['.git', '.airlock'];

export const PATCH_PATH_UNSAFE_CHARS = 'PATCH_PATH_UNSAFE_CHARS';
const UNSAFE_HINT = 'rename the file without bidirectional, zero-width or control characters; they make a path read differently than it is';

/** Why a path can never be a patch path (shape, or characters that disguise it), or undefined. */
export function pathProblem(rel: string): string | undefined {
  const shape = patchPathProblem(rel);
  if (shape) return shape;
  const bad = unsafeChar(rel);
  if (bad) return `${PATCH_PATH_UNSAFE_CHARS}: path ${JSON.stringify(escapeUnsafe(rel.slice(0, 200)))} contains ${bad} (${UNSAFE_HINT})`;
  return undefined;
}

export function assertPatchPath(rel: string): string {
  const shown = JSON.stringify(escapeUnsafe(rel.slice(0, 200)));
  const why = patchPathProblem(rel);
  if (why)
    throw new AirlockError(
      'PATCH_BAD_PATH',
      `refusing patch path ${shown}: ${why}`,
      'patch paths are relative to the workspace root and may not leave it',
    );
  const bad = unsafeChar(rel);
  if (bad) throw new AirlockError(PATCH_PATH_UNSAFE_CHARS, `refusing patch path ${shown}: it contains ${bad}`, UNSAFE_HINT);
  return rel;
}

/**
 * Default protection plus the policy engine's callback; returns the reason a path is protected. Segments compare as
 * macOS and Windows resolve them (case, Unicode, trailing dots, `::$DATA`, `GIT~1`): there `.GIT/hooks` is the hook.
 */
export function protectedReason(rel: string, policy?: ProtectedCheck): string | undefined {
  const segs = rel.split('/');
  for (const d of DEFAULT_PROTECTED_DIRS) {
    const hit = segs.find((s) => sameSegment(s, d));
    if (hit !== undefined)
      return hit === d
        ? `${d}/ is protected`
        : `${d}/ is protected (${JSON.stringify(escapeUnsafe(hit))} is ${d} on case-insensitive or NTFS file systems)`;
  }
  const r = policy?.(rel);
  if (r === true) return 'protected by policy';
  if (typeof r === 'string' && r) return r;
  return undefined;
}

export function joinRel(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}
