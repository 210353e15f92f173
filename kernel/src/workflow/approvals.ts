// Patch approval for the patchApproved guard, read from the patch service's review decisions.
import type { PatchService } from '../patches/service';
import type { IPatchApprovals } from './guards';

/** Approved: merged, or every file (every hunk of a modified file) decided by a person with at least one accept. */
export function patchApprovals(patches: Pick<PatchService, 'show'>): IPatchApprovals {
  return {
    async isApproved(id) {
      let s;
      try {
        s = patches.show(id);
      } catch {
        return false;
      }
      if (s.set.status === 'merged') return true;
      if (s.set.status !== 'pending' || !s.set.files.length) return false;
      let accepted = false;
      for (const f of s.set.files) {
        const r = s.review[f.path];
        const decisions = f.type === 'modify' ? f.hunks.map((h) => r?.hunks[h.id] ?? r?.file) : [r?.file];
        if (decisions.some((d) => d === undefined)) return false;
        if (decisions.includes('accept')) accepted = true;
      }
      return accepted;
    },
  };
}
