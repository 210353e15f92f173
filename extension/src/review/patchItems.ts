// Pure view logic of the Patches view (no vscode): per-hunk and per-file states, labels, binary and deletion wording.
import type { FilePatch, MergeConflict, PatchSetSummary, ReviewState } from '../../../protocol/src/patches';
import { fileHunks, fileStats, hunkAnchorLines, proposedText } from './proposed';

/** Where a hunk stands: a decision, a merge that put it in the workspace, or an accepted hunk the last merge could not place. */
export type HunkState = 'pending' | 'accepted' | 'rejected' | 'conflicted' | 'merged';
/** A file's state; `partial` = some hunks merged, others still to decide or resolve. */
export type FileState = HunkState | 'partial';

/** What the kernel and the last merge plan say about a set: decisions, merged hunk ids/paths (`done`), open conflicts. */
export interface SetFacts {
  review: ReviewState;
  done: readonly string[];
  conflicts: readonly MergeConflict[];
}

function decision(review: ReviewState, path: string, hunkId?: string): 'accept' | 'reject' | undefined {
  const s = review[path];
  return s ? ((hunkId ? s.hunks[hunkId] : undefined) ?? s.file) : undefined;
}

/** One hunk's state. Merged wins (it is in the workspace); a rejection drops a conflict; an accepted hunk may be conflicted. */
export function hunkState(facts: SetFacts, path: string, hunkId: string): HunkState {
  if (facts.done.includes(hunkId) || facts.done.includes(path)) return 'merged';
  const d = decision(facts.review, path, hunkId);
  if (d === 'reject') return 'rejected';
  if (d === 'accept')
    return facts.conflicts.some((c) => c.path === path && (c.hunkId === hunkId || c.hunkId === undefined)) ? 'conflicted' : 'accepted';
  return 'pending';
}

/** A file's state from its hunks (add/delete carry one hunk standing for the file; binary, rename, mode have none). */
export function fileState(facts: SetFacts, f: FilePatch): FileState {
  const hunks = fileHunks(f);
  if (!hunks.length || f.type !== 'modify') {
    const id = hunks[0]?.id;
    if (facts.done.includes(f.path) || (id !== undefined && facts.done.includes(id))) return 'merged';
    const d = decision(facts.review, f.path, id);
    if (d === 'reject') return 'rejected';
    if (d === 'accept') return facts.conflicts.some((c) => c.path === f.path) ? 'conflicted' : 'accepted';
    return 'pending';
  }
  const states = new Set(hunks.map((h) => hunkState(facts, f.path, h.id)));
  if (states.has('conflicted')) return 'conflicted';
  if (states.size === 1) return [...states][0]!;
  if (states.has('merged')) return 'partial';
  return states.has('pending') ? 'pending' : 'accepted';
}

/** Codicon per state, so a glance shows what is left. */
export const STATE_ICON: Record<FileState, string> = {
  pending: 'circle-large-outline',
  accepted: 'pass',
  rejected: 'circle-slash',
  conflicted: 'warning',
  merged: 'git-merge',
  partial: 'git-pull-request-draft',
};

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024,
    i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** "binary · 1.2 KiB → 3.4 KiB · sha256 1a2b3c4d": a full-file change is never shown as text. */
export function binarySummary(f: Extract<FilePatch, { type: 'binary' }>): string {
  const what = f.reason === 'binary' ? 'binary' : f.reason === 'huge' ? 'large file' : 'not UTF-8';
  const size = f.oldSize === null ? `new, ${formatBytes(f.size)}` : `${formatBytes(f.oldSize)} → ${formatBytes(f.size)}`;
  return `${what} · ${size} · sha256 ${f.newHash.slice(0, 8)}`;
}

/** The words for accepting or rejecting a file, as a person thinks of it: replace/keep for a binary, delete/keep for a deletion. */
export function actionWords(f: FilePatch): { accept: string; reject: string } {
  switch (f.type) {
    case 'binary':
      return f.baseHash === null ? { accept: 'add', reject: 'skip' } : { accept: 'replace', reject: 'keep' };
    case 'delete':
      return { accept: 'delete', reject: 'keep' };
    case 'add':
      return { accept: 'add', reject: 'skip' };
    case 'rename':
      return { accept: 'rename', reject: 'keep' };
    case 'mode':
    case 'modify':
      return { accept: 'accept', reject: 'reject' };
    default: {
      const never: never = f;
      return never;
    }
  }
}

/** The file row's description: what kind of change, its size, and where it stands. */
export function fileDescription(f: FilePatch, state: FileState): string {
  // The state, and for a whole-file change what it means for the workspace file ("rejected (keep)").
  const words = actionWords(f);
  const whole = f.type === 'binary' || f.type === 'delete';
  const st =
    whole && state === 'accepted' ? `accepted (${words.accept})` : whole && state === 'rejected' ? `rejected (${words.reject})` : state;
  switch (f.type) {
    case 'binary':
      return `${binarySummary(f)} · ${st}`;
    case 'delete':
      return `deleted${f.hunks.length ? ` · −${f.removed} line${f.removed === 1 ? '' : 's'}` : ''} · ${st}`;
    case 'rename':
      return `renamed from ${f.from} · ${st}`;
    case 'mode':
      return `mode ${f.oldMode.toString(8)} → ${f.newMode.toString(8)} · ${st}`;
    case 'add':
    case 'modify': {
      const s = fileStats(f);
      return `${f.type === 'add' ? 'new · ' : ''}+${s.added} −${s.removed} · ${st}`;
    }
    default: {
      const never: never = f;
      return never;
    }
  }
}

/** Codicon for the file's kind where the kind matters more than the file type (a deletion, a binary). */
export function fileKindIcon(f: FilePatch): string | undefined {
  return f.type === 'delete' ? 'trash' : f.type === 'binary' ? 'file-binary' : undefined;
}

/** A set's label: the prompt of the task that made it (one line, capped), else its task id, else its own id. */
export function setLabel(s: Pick<PatchSetSummary, 'id' | 'taskId'>, prompt?: string): string {
  const line = prompt?.replace(/\s+/g, ' ').trim();
  if (line) return line.length > 80 ? `${line.slice(0, 79)}…` : line;
  return s.taskId ?? s.id;
}

/** Lens title of a hunk by its state (accepted/rejected/merged/conflicted are shown, not offered again). */
export function hunkLensTitles(state: HunkState): { accept: string; reject: string } {
  switch (state) {
    case 'accepted':
      return { accept: '$(pass-filled) Accepted', reject: '$(close) Reject hunk' };
    case 'rejected':
      return { accept: '$(check) Accept hunk', reject: '$(error) Rejected' };
    case 'conflicted':
      return { accept: '$(warning) Conflicted: resolve in merge editor', reject: '$(close) Drop hunk' };
    case 'merged':
      return { accept: '$(git-merge) Merged', reject: '' };
    case 'pending':
      return { accept: '$(check) Accept hunk', reject: '$(close) Reject hunk' };
    default: {
      const never: never = state;
      return never;
    }
  }
}

/** A decided hunk's mark in the proposed document: painted as an editor decoration the moment the kernel has the decision. */
export type HunkMark = { state: 'accepted' | 'rejected' | 'conflicted'; hunkId: string; line: number };

/**
 * The marks of a file's decided hunks, on the line its lens sits on (pending hunks carry none; merged ones are in the
 * workspace file and not in the proposed text any more). A decoration paints at once, where a CodeLens waits for VS
 * Code's refresh (at least 250 ms to ask the provider again, and as long again before an existing lens repaints).
 */
export function hunkMarks(facts: SetFacts, f: FilePatch): HunkMark[] {
  const done = new Set(facts.done);
  const marks: HunkMark[] = [];
  for (const { hunkId, line } of hunkAnchorLines(fileHunks(f).filter((h) => !done.has(h.id)))) {
    const state = hunkState(facts, f.path, hunkId);
    if (state === 'accepted' || state === 'rejected' || state === 'conflicted') marks.push({ state, hunkId, line });
  }
  return marks;
}

/** The three sides of a text conflict, or why there is no merge editor for it. */
export type MergeSides = { base: string; proposed: string } | { reason: string };

/** Base and proposed text of a conflicted text file: proposed = base + every accepted hunk of the file. */
export function mergeSides(f: FilePatch, accepted: ReadonlySet<string>, baseText: string | undefined): MergeSides {
  if (f.type === 'add') return { base: '', proposed: proposedText('', f.hunks) ?? '' };
  if (f.type !== 'modify') return { reason: `${f.type} changes are whole-file` };
  if (baseText === undefined) return { reason: 'the base content is not available' };
  const out = proposedText(
    baseText,
    f.hunks.filter((h) => accepted.has(h.id)),
  );
  return out === undefined ? { reason: 'the accepted hunks do not apply to their base' } : { base: baseText, proposed: out };
}
