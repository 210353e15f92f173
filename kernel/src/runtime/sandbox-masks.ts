// What the policy hides, as mounts: /dev/null (read-only) over each hidden file, an empty read-only tmpfs over each
// hidden folder, under wherever a sandbox mounts the workspace.
import { AirlockError } from '../../../protocol/src/errors';
import { type ConfineOptions, confinePath, REAL_PATH } from '../../../protocol/src/paths';
import type { MountSpec } from './types';

/** Mask paths name workspace entries as they are (never folded or normalised; any name the file system allows but NUL). */
const MASK_PATH_RULES: ConfineOptions = { ...REAL_PATH, form: 'exact' };

/** Workspace-relative paths covered inside the sandbox: files by an empty read-only file, folders by an empty one. */
export interface SandboxMasks {
  files: readonly string[];
  dirs: readonly string[];
}

/** Compares the masks a warm sandbox was made with against the workspace's masks now. */
export const maskKey = (m: SandboxMasks | undefined): string => JSON.stringify(m ?? null);

/**
 * Engines mount nested targets after the workspace mount (sorted by depth), and a mount point cannot be removed or
 * renamed from inside, so a command cannot uncover one. A path that is not a plain relative path is a kernel bug.
 */
export function maskMounts(target: string, masks: SandboxMasks): { mounts: MountSpec[]; tmpfs: Record<string, string> } {
  const at = (rel: string): string => {
    if (confinePath(undefined, rel, MASK_PATH_RULES).type !== 'ok') {
      throw new AirlockError(
        'SANDBOX_BAD_MASK',
        `bad masked path ${JSON.stringify(rel)}`,
        "a bug in the kernel's mask computation: report it with the path",
      );
    }
    return `${target}/${rel}`;
  };
  const out = { mounts: [] as MountSpec[], tmpfs: {} as Record<string, string> };
  for (const f of masks.files) out.mounts.push({ type: 'bind', source: '/dev/null', target: at(f), readOnly: true });
  for (const d of masks.dirs) out.tmpfs[at(d)] = 'ro,nosuid,nodev,noexec,size=4k,mode=0555';
  return out;
}
