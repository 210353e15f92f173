// Pure merge planning: approved hunks + the person's current files → per-file writes or conflicts (never a write).
import type { Decision, FilePatch, FileOp, Hunk, MergeConflict, MergePlan, PatchSet, ReviewState } from '../../../protocol/src/patches';
import { sha256 } from '../../../core/src/apply/file-hash';
import { type LandedRange, threeWay } from './three-way';

/** An applied hunk's place in the file the plan writes (for provenance: blame maps lines through these). */
export interface LandedHunk extends LandedRange {
  path: string;
}

/** What is in the workspace now at a path (symlinks hashed by target text, like the applier does). */
export interface CurrentFile {
  hash: string;
  mode: number;
  kind: 'file' | 'symlink' | 'other';
  text?: string;
}
export type CurrentLookup = (path: string) => CurrentFile | null;
/** Base text by content hash (the blob store); undefined when unknown. */
export type BaseText = (hash: string) => string | undefined;

export function decisionOf(state: ReviewState, path: string, hunkId?: string): Decision | undefined {
  const s = state[path];
  if (!s) return undefined;
  return (hunkId ? s.hunks[hunkId] : undefined) ?? s.file;
}

/** Whole-file decision: add/delete carry one hunk whose decision stands for the file. */
export function fileDecision(state: ReviewState, f: FilePatch): Decision | undefined {
  if ((f.type === 'add' || f.type === 'delete') && f.hunks.length) return decisionOf(state, f.path, f.hunks[0].id);
  return decisionOf(state, f.path);
}

export function planMerge(set: PatchSet, state: ReviewState, current: CurrentLookup, baseText: BaseText): MergePlan {
  return planMergeDetailed(set, state, current, baseText).plan;
}

/** The plan, plus where each applied text hunk lands in the file it writes (kept by the kernel, never sent to the host). */
export function planMergeDetailed(
  set: PatchSet,
  state: ReviewState,
  current: CurrentLookup,
  baseText: BaseText,
): { plan: MergePlan; landed: LandedHunk[] } {
  const landed: LandedHunk[] = [];
  const ops: FileOp[] = [];
  const conflicts: MergeConflict[] = [];
  const appliedHunks: string[] = [];
  const completePaths: string[] = [];
  const merged3Way: string[] = [];
  const conflict = (path: string, reason: string, hunkId?: string) => conflicts.push({ path, reason, hunkId });

  for (const f of set.files) {
    switch (f.type) {
      case 'modify': {
        const accepted = f.hunks.filter((h) => decisionOf(state, f.path, h.id) === 'accept');
        if (!accepted.length) break;
        const cur = current(f.path);
        if (!cur || cur.kind !== 'file') {
          for (const h of accepted)
            conflict(
              f.path,
              cur ? 'the workspace path is no longer a regular file' : 'the file was deleted in the workspace since the patch was made',
              h.id,
            );
          break;
        }
        const base = baseText(f.baseHash) ?? (cur.hash === f.baseHash ? cur.text : undefined);
        const ours = cur.hash === f.baseHash ? base : cur.text;
        if (base === undefined || ours === undefined) {
          for (const h of accepted)
            conflict(
              f.path,
              base === undefined ? 'base content is not available for a three-way merge' : 'the workspace file is no longer text',
              h.id,
            );
          break;
        }
        const r = threeWay(base, ours, accepted);
        for (const c of r.conflicted) conflict(f.path, c.reason, c.hunkId);
        appliedHunks.push(...r.applied);
        landed.push(...r.landed.map((x) => ({ ...x, path: f.path })));
        if (cur.hash !== f.baseHash && r.applied.length) merged3Way.push(f.path);
        // Apply the mode change only where the person has not changed the mode themselves.
        const mode = r.applied.length && cur.mode === f.oldMode ? f.newMode : cur.mode;
        if (r.text !== ours || mode !== cur.mode)
          ops.push({
            type: 'write',
            path: f.path,
            expect: cur.hash,
            content: { encoding: 'utf8', text: r.text },
            newHash: sha256(r.text),
            mode,
          });
        if (accepted.length === f.hunks.length && !r.conflicted.length) completePaths.push(f.path);
        break;
      }
      case 'add': {
        if (fileDecision(state, f) !== 'accept') break;
        const cur = current(f.path);
        if (cur?.hash === f.newHash) {
          completePaths.push(f.path);
          break;
        }
        if (cur) {
          conflict(f.path, 'a different file with this name now exists in the workspace');
          break;
        }
        const text = textOf(f.hunks);
        if (sha256(text) !== f.newHash) {
          conflict(f.path, 'the added text does not match its recorded hash');
          break;
        }
        ops.push({ type: 'write', path: f.path, expect: null, content: { encoding: 'utf8', text }, newHash: f.newHash, mode: f.newMode });
        appliedHunks.push(...f.hunks.map((h) => h.id));
        // Made from an empty file, an added file's hunks sit exactly where they say.
        landed.push(...f.hunks.map((h) => ({ path: f.path, hunkId: h.id, start: Math.max(0, h.newStart - 1), lines: h.newLines })));
        completePaths.push(f.path);
        break;
      }
      case 'delete': {
        if (fileDecision(state, f) !== 'accept') break;
        const cur = current(f.path);
        if (!cur) {
          completePaths.push(f.path);
          break;
        }
        if (cur.hash !== f.baseHash) {
          conflict(f.path, 'the file was edited in the workspace since the patch was made; not deleting it');
          break;
        }
        ops.push({ type: 'delete', path: f.path, expect: f.baseHash });
        appliedHunks.push(...f.hunks.map((h) => h.id));
        completePaths.push(f.path);
        break;
      }
      case 'rename': {
        if (fileDecision(state, f) !== 'accept') break;
        const from = current(f.from);
        const to = current(f.path);
        if (!from && to?.hash === f.baseHash) {
          completePaths.push(f.path);
          break;
        }
        if (!from || from.hash !== f.baseHash) {
          conflict(f.path, `${f.from} was changed or removed in the workspace since the patch was made`);
          break;
        }
        if (to && to.hash !== f.baseHash) {
          conflict(f.path, 'a different file with the new name now exists in the workspace');
          break;
        }
        if (!to)
          ops.push({
            type: 'write',
            path: f.path,
            expect: null,
            content: { encoding: 'blob', hash: f.baseHash, size: -1 },
            newHash: f.baseHash,
            mode: f.newMode,
          });
        ops.push({ type: 'delete', path: f.from, expect: f.baseHash });
        completePaths.push(f.path);
        break;
      }
      case 'mode': {
        if (fileDecision(state, f) !== 'accept') break;
        const cur = current(f.path);
        if (!cur || cur.kind !== 'file') {
          conflict(f.path, 'the file is gone from the workspace');
          break;
        }
        if (cur.mode !== f.newMode) ops.push({ type: 'chmod', path: f.path, expect: cur.hash, mode: f.newMode });
        completePaths.push(f.path);
        break;
      }
      case 'binary': {
        if (fileDecision(state, f) !== 'accept') break;
        const cur = current(f.path);
        if (cur?.hash === f.newHash) {
          completePaths.push(f.path);
          break;
        }
        if ((cur?.hash ?? null) !== f.baseHash) {
          conflict(
            f.path,
            cur
              ? 'the workspace file changed since the patch was made; a full-file replacement would lose those edits'
              : 'the file was deleted in the workspace since the patch was made',
          );
          break;
        }
        ops.push({
          type: 'write',
          path: f.path,
          expect: f.baseHash,
          content: { encoding: 'blob', hash: f.newHash, size: f.size },
          newHash: f.newHash,
          mode: f.newMode,
        });
        completePaths.push(f.path);
        break;
      }
      default: {
        const never: never = f;
        throw new Error(`unknown file patch ${JSON.stringify(never)}`);
      }
    }
  }
  return { plan: { setId: set.id, ops, conflicts, appliedHunks, completePaths, merged3Way }, landed };
}

/** The new side of hunks made from an empty file (an added file's content). */
export function textOf(hunks: Hunk[]): string {
  return threeWay('', '', hunks).text;
}
