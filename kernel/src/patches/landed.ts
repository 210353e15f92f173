// Where a merge's hunks land: the plan plus, per applied text hunk, its post-merge line range and the file's hashes
// before and after (the texts are kept as blobs), so blame can follow a line back through later merges.
import type { MergePlan, PatchSet, ReviewState } from '../../../protocol/src/patches';
import type { MergedHunk } from '../../../protocol/src/provenance';
import { sha256 } from '../../../core/src/apply/file-hash';
import { type BaseText, type CurrentFile, planMergeDetailed } from './merge-plan';

export function landedHunks(
  set: PatchSet,
  review: ReviewState,
  current: Map<string, CurrentFile | null>,
  baseText: BaseText,
  keep: (hash: string, text: string) => void,
): { plan: MergePlan; hunks: MergedHunk[] } {
  const { plan, landed } = planMergeDetailed(set, review, (p) => current.get(p) ?? null, baseText);
  const writes = new Map(plan.ops.flatMap((op) => (op.type === 'write' ? [[op.path, op] as const] : [])));
  for (const op of writes.values()) {
    if (op.content.encoding !== 'utf8') continue;
    keep(op.newHash, op.content.text);
    const cur = current.get(op.path);
    if (cur?.text !== undefined) keep(cur.hash, cur.text);
  }
  const hunkLines = new Map(set.files.flatMap((f) => ('hunks' in f ? f.hunks.map((h) => [h.id, h.lines] as const) : [])));
  const hunks: MergedHunk[] = [];
  for (const l of landed) {
    const op = writes.get(l.path);
    const lines = hunkLines.get(l.hunkId);
    if (!op || !lines) continue; // the file's text did not change (already identical): nothing of this merge to blame
    hunks.push({
      path: l.path,
      hunkId: l.hunkId,
      hunkDigest: sha256(JSON.stringify(lines)),
      startLine: l.start + 1,
      endLine: l.start + l.lines,
      postHash: op.newHash,
      preHash: op.expect,
    });
  }
  return { plan, hunks };
}
