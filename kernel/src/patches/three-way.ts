// Three-way merge of accepted hunks onto the person's current file: clean where edits do not touch, else conflicted.
import { diffArrays } from 'diff';
import type { Hunk } from '../../../protocol/src/patches';
import { hunkToEdit, type LineEdit, splitLines } from './text';

/** Where an applied hunk's new lines landed in the result (0-based first line, line count; 0 lines = a pure deletion). */
export interface LandedRange {
  hunkId: string;
  start: number;
  lines: number;
}

export interface ThreeWayResult {
  text: string;
  applied: string[];
  conflicted: Array<{ hunkId: string; reason: string }>;
  landed: LandedRange[];
}

/** The person's edits since base, as base-coordinate line edits. */
export function lineEdits(baseLines: string[], oursLines: string[]): LineEdit[] {
  const edits: LineEdit[] = [];
  let pos = 0;
  let cur: LineEdit | undefined;
  for (const part of diffArrays(baseLines, oursLines)) {
    if (!part.added && !part.removed) {
      if (cur) {
        edits.push(cur);
        cur = undefined;
      }
      pos += part.value.length;
      continue;
    }
    cur ??= { start: pos, end: pos, lines: [], oldLines: [] };
    if (part.removed) {
      cur.oldLines.push(...part.value);
      pos += part.value.length;
      cur.end = pos;
    } else {
      cur.lines.push(...part.value);
    }
  }
  if (cur) edits.push(cur);
  return edits;
}

const touches = (a: LineEdit, b: LineEdit) => a.start <= b.end && b.start <= a.end;
const same = (a: LineEdit, b: LineEdit) =>
  a.start === b.start && a.end === b.end && a.lines.length === b.lines.length && a.lines.every((l, i) => l === b.lines[i]);

/**
 * Applies `hunks` (made against `base`) to `ours`. A hunk whose changed region touches one of the person's edits
 * (overlapping or adjacent, like diff3) is conflicted and left out; identical edits count as applied.
 */
export function threeWay(base: string, ours: string, hunks: Hunk[]): ThreeWayResult {
  const baseLines = splitLines(base);
  const oursEdits = base === ours ? [] : lineEdits(baseLines, splitLines(ours));
  const applied: string[] = [];
  const conflicted: ThreeWayResult['conflicted'] = [];
  const theirs: LineEdit[] = [];
  const hunkOf = new Map<LineEdit, string>();
  for (const h of hunks) {
    const e = hunkToEdit(h);
    if (e.end > baseLines.length || e.oldLines.some((l, i) => baseLines[e.start + i] !== l)) {
      conflicted.push({ hunkId: h.id, reason: 'hunk does not match the base it was made against' });
      continue;
    }
    const hit = oursEdits.filter((o) => touches(o, e));
    if (hit.length === 1 && same(hit[0], e)) {
      applied.push(h.id);
      continue;
    } // the person already made this change
    if (hit.length) {
      conflicted.push({ hunkId: h.id, reason: 'the workspace file was edited in the same place since the patch was made' });
      continue;
    }
    theirs.push(e);
    hunkOf.set(e, h.id);
    applied.push(h.id);
  }
  const landed: LandedRange[] = [];
  if (!theirs.length && !oursEdits.length) return { text: base, applied, conflicted, landed };
  const all = [...oursEdits, ...theirs].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: string[] = [];
  let pos = 0;
  for (const e of all) {
    for (; pos < e.start; pos++) out.push(baseLines[pos]);
    const id = hunkOf.get(e);
    if (id) landed.push({ hunkId: id, start: out.length, lines: e.lines.length });
    out.push(...e.lines);
    pos = e.end;
  }
  for (; pos < baseLines.length; pos++) out.push(baseLines[pos]);
  return { text: out.join(''), applied, conflicted, landed };
}
