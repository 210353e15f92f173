// Blame: from a line of a workspace file back through the merge records (review.merged entries, newest first) to the
// merged hunk that wrote it; a later merge or edit that moved the line is followed through the texts kept as blobs.
import { diffArrays } from 'diff';
import type { AuditEntry, AuditPage, AuditQuery } from '../../../protocol/src/audit';
import type { MergedHunk, Provenance } from '../../../protocol/src/provenance';
import { sha256 } from '../../../core/src/apply/file-hash';
import { splitLines } from './text';

export interface BlameSources {
  query(q: AuditQuery): AuditPage | Promise<AuditPage>;
  /** A kept text by content hash (the patch store's blobs), undefined when not kept. */
  blob(hash: string): string | undefined;
}

interface MergeRec {
  entry: AuditEntry;
  setId: string;
  mergeId: string;
  treeDigest?: string;
  verification: Provenance['verification'];
  hunks: MergedHunk[];
}
interface MergedPayload {
  mergeId: string;
  outcome: string;
  treeDigest?: string;
  verification?: Provenance['verification'];
  hunks?: MergedHunk[];
}

/** The merges that wrote hunks into `rel`, oldest first; a merge a later undo reverted is left out. */
export async function mergesOf(src: Pick<BlameSources, 'query'>, rel: string): Promise<MergeRec[]> {
  const out: MergeRec[] = [];
  for (let cursor: number | undefined; ;) {
    const page = await src.query({ action: 'review.merged', order: 'asc', limit: 5000, payloads: true, ...(cursor ? { cursor } : {}) });
    for (const e of page.entries) {
      const p = e.payload as MergedPayload | null;
      if (!p) continue;
      if (p.outcome === 'undone') {
        for (let i = out.length - 1; i >= 0; i--)
          if (out[i].setId === e.resource && out[i].mergeId === p.mergeId) {
            out.splice(i, 1);
            break;
          }
        continue;
      }
      const hunks = p.outcome === 'merged' ? (p.hunks ?? []).filter((h) => h.path === rel) : [];
      if (hunks.length)
        out.push({
          entry: e,
          setId: e.resource,
          mergeId: p.mergeId,
          treeDigest: p.treeDigest,
          verification: p.verification ?? null,
          hunks,
        });
    }
    if (page.nextCursor === undefined || !page.entries.length) return out;
    cursor = page.nextCursor;
  }
}

/** Per line of `from` (0-based), its line in `to`, or -1 where the line is not in `to` unchanged. */
function lineMap(from: string, to: string): Int32Array {
  const map = new Int32Array(splitLines(from).length).fill(-1);
  let f = 0;
  let t = 0;
  for (const part of diffArrays(splitLines(from), splitLines(to))) {
    const n = part.value.length;
    if (part.added) t += n;
    else if (part.removed) f += n;
    else {
      for (let i = 0; i < n; i++) map[f + i] = t + i;
      f += n;
      t += n;
    }
  }
  return map;
}

/** Provenance of `lines` (1-based) of `text`, the current content of `rel`. */
export async function blame(src: BlameSources, rel: string, text: string, lines: number[]): Promise<Provenance[]> {
  const merges = await mergesOf(src, rel);
  const maps = new Map<string, Int32Array>();
  const mapOf = (a: string, b: string) => {
    const k = `${sha256(a)}>${sha256(b)}`;
    let m = maps.get(k);
    if (!m) maps.set(k, (m = lineMap(a, b)));
    return m;
  };
  const all = splitLines(text);
  return lines.map((line) => {
    const base = { path: rel, line, text: all[line - 1]?.replace(/\r?\n$/, '') };
    const trail: string[] = [];
    const stop = (why: string): Provenance => ({ ...base, origin: 'workspace', trail: [...trail, why] });
    let cur = text;
    let at = line;
    for (let i = merges.length - 1; i >= 0; i--) {
      const m = merges[i];
      const name = `merge ${m.mergeId} of ${m.setId} (audit #${m.entry.seq})`;
      const post = m.hunks[0].postHash;
      if (sha256(cur) !== post) {
        const after = src.blob(post);
        if (after === undefined) return stop(`the file's content after ${name} is not kept; stopped there`);
        const to = mapOf(cur, after)[at - 1];
        if (to === undefined || to < 0) return stop(`line ${at} was edited in the workspace after ${name}`);
        if (to + 1 !== at) trail.push(`line ${at} was line ${to + 1} right after ${name}`);
        cur = after;
        at = to + 1;
      }
      const hit = m.hunks.find((h) => h.startLine <= at && at <= h.endLine);
      if (hit) {
        return {
          ...base,
          origin: 'merged',
          trail: [...trail, `written by hunk ${hit.hunkId} in ${name}`],
          merge: {
            setId: m.setId,
            mergeId: m.mergeId,
            at: m.entry.time,
            audit: { seq: m.entry.seq, hash: m.entry.hash },
            ...(m.treeDigest ? { treeDigest: m.treeDigest } : {}),
          },
          hunk: hit,
          verification: m.verification,
        };
      }
      const pre = m.hunks[0].preHash;
      const before = pre === null ? undefined : src.blob(pre);
      if (before === undefined) return stop(`${name} touched the file but not this line, and the content before it is not kept`);
      const to = mapOf(cur, before)[at - 1];
      if (to === undefined || to < 0)
        return stop(`line ${at} changed in ${name} outside its hunks (a three-way merge kept the person's edit)`);
      trail.push(`${name} touched the file, not this line (line ${to + 1} before it)`);
      cur = before;
      at = to + 1;
    }
    return stop(merges.length ? 'no earlier Airlock merge wrote this line' : 'no Airlock merge wrote into this file');
  });
}
