// What the policy hides from the agent: paths `fs.read` denies, judged by the engine itself (its compiled rule index,
// in-process, no RPC) for every file and folder, so native tools and sandbox masks agree with fs.read by construction.
import type { Decision, PolicyRequestInput } from '../../../protocol/src/policy';

export interface SyncEngine {
  evaluate(r: PolicyRequestInput, opts?: { walked?: boolean }): Decision;
}

/** True when the agent must not see this workspace-relative path (or anything below it, for a folder). */
export type HiddenCheck = (rel: string, isDir: boolean) => boolean;

// Names no real rule would single out, asked beneath a folder: a folder whose every child is denied (`**/.ssh/**`,
// or no allow rule at all) is hidden whole, so names created in it later are hidden too. Two dissimilar names, so a
// rule that happens to deny one of them (`**/*.x`) does not hide a folder whose other files are readable.
const PROBES = ['airlock-probe', '.airlock-probe.x'];

/**
 * A cached check for one task subject. Its callers walk without following symlinks (masks, TreeReader), so paths are
 * judged as written: `a/.env` is hidden whatever links lead to it, and a link is judged under its own name. Size limits (`max_size`) are not secrecy: every path is judged as if empty,
 * so a large build artefact stays visible (fs.read still refuses it by size). `ask` is not hidden (a person may allow
 * it); a decision that cannot be made (a predicate that fails, a malformed path) is a deny, so it hides (fail closed).
 */
export function hiddenCheck(engine: SyncEngine, subjectId: string, mode?: string): HiddenCheck {
  const dirs = new Map<string, boolean>();
  const denied = (resource: string): boolean => {
    try {
      return (
        engine.evaluate(
          {
            subject: { kind: 'agent', id: subjectId, tags: [] },
            action: 'fs.read',
            resource,
            context: { ...(mode ? { mode } : {}), size: 0 },
          },
          { walked: true },
        ).decision === 'deny'
      );
    } catch {
      return true;
    }
  };
  const dirHidden = (rel: string): boolean => {
    if (!rel) return false;
    let h = dirs.get(rel);
    if (h !== undefined) return h;
    const slash = rel.lastIndexOf('/');
    h = (slash > 0 && dirHidden(rel.slice(0, slash))) || denied(rel) || PROBES.every((p) => denied(`${rel}/${p}`));
    dirs.set(rel, h);
    return h;
  };
  return (rel, isDir) => {
    const r = rel.replace(/^\.\/+/, '').replace(/\/+$/, '');
    if (!r || r === '.') return false;
    if (isDir) return dirHidden(r);
    const slash = r.lastIndexOf('/');
    return (slash > 0 && dirHidden(r.slice(0, slash))) || denied(r);
  };
}
