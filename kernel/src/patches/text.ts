// Text helpers for patches: text/binary detection, hunks with stable ids (jsdiff), and hunk ↔ line-edit conversion.
import * as crypto from 'node:crypto';
import { structuredPatch } from 'diff';
import type { Hunk } from '../../../protocol/src/patches';

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** git's heuristic (NUL in the first 8000 bytes) plus strict UTF-8: returns the text or null for full-file mode. */
export function asText(buf: Uint8Array): string | null {
  const head = buf.subarray(0, 8000);
  if (head.includes(0)) return null;
  try {
    return fatalUtf8.decode(buf);
  } catch {
    return null;
  }
}

/** Lines with their terminators kept, so "no newline at end of file" and CRLF survive a round trip. */
export function splitLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const i = text.indexOf('\n', start);
    if (i < 0) break;
    out.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

export function hunkId(path: string, h: Omit<Hunk, 'id'>): string {
  const d = crypto.createHash('sha256').update(path).update('\0').update(`${h.oldStart},${h.oldLines},${h.newStart},${h.newLines}\0`);
  for (const l of h.lines) d.update(l).update('\n');
  return 'h_' + d.digest('hex').slice(0, 16);
}

export function makeHunks(path: string, oldText: string, newText: string, context = 3): Hunk[] {
  const p = structuredPatch('a', 'b', oldText, newText, undefined, undefined, { context });
  return p.hunks.map((h) => {
    const base = { oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines, lines: h.lines };
    return { id: hunkId(path, base), ...base };
  });
}

export function countChanges(hunks: Hunk[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const h of hunks)
    for (const l of h.lines) {
      if (l[0] === '+') added++;
      else if (l[0] === '-') removed++;
    }
  return { added, removed };
}

/** A replacement of base lines [start, end) by `lines` (terminators included). */
export interface LineEdit {
  start: number;
  end: number;
  lines: string[];
  oldLines: string[];
}

/**
 * Turns one hunk into a single edit spanning its first to last changed base line, with the base lines it expects
 * there (to verify against the real base before applying).
 */
export function hunkToEdit(h: Hunk): LineEdit {
  // Rebuild full lines: each hunk line gets '\n' unless the next one is the "\ No newline" marker.
  const rows: Array<{ kind: string; text: string }> = [];
  for (let i = 0; i < h.lines.length; i++) {
    const l = h.lines[i];
    if (l[0] === '\\') continue;
    const noEol = h.lines[i + 1]?.[0] === '\\';
    rows.push({ kind: l[0], text: l.slice(1) + (noEol ? '' : '\n') });
  }
  let pos = h.oldStart - 1;
  if (h.oldLines === 0 && h.oldStart === 0) pos = 0;
  let start = -1;
  let end = -1;
  const lines: string[] = [];
  const oldLines: string[] = [];
  const pendingCtx: string[] = [];
  for (const r of rows) {
    if (r.kind === ' ') {
      if (start >= 0) pendingCtx.push(r.text);
      pos++;
      continue;
    }
    if (start < 0) start = pos;
    // Context between two changes of the same hunk is part of the edit (unchanged on both sides).
    lines.push(...pendingCtx);
    oldLines.push(...pendingCtx);
    pendingCtx.length = 0;
    if (r.kind === '-') {
      oldLines.push(r.text);
      pos++;
      end = pos;
    } else {
      lines.push(r.text);
      end = Math.max(end, pos);
    }
  }
  if (start < 0) start = end = pos;
  return { start, end: Math.max(end, start), lines, oldLines };
}
