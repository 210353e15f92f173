// Undo of the last merge on the host: restores the journal's backups, only where the files are still what the merge wrote.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { applyOps, type ApplyOptions, type ApplyResult, type HostOp } from './apply';
import { listJournals, type MergeJournal, writeJournal } from './apply-journal';

/** The newest finished merge that is not an undo and not undone yet. */
export function lastMerge(journalDir: string): MergeJournal | undefined {
  return listJournals(journalDir)
    .filter((j) => j.state === 'done' && !j.undoOf)
    .pop();
}

/** Inverse ops of a merge; each expects the file the merge wrote, so later edits by the person are never lost. */
export function inverseOps(journalDir: string, j: MergeJournal): HostOp[] {
  const ops: HostOp[] = [];
  for (const op of [...j.ops].reverse()) {
    const expect = op.after;
    if (op.before === null) {
      if (expect !== null) ops.push({ type: 'delete', path: op.path, expect });
      continue;
    }
    const mode = op.beforeMode ?? 0o644;
    const content =
      op.linkTarget !== undefined
        ? { encoding: 'symlink' as const, target: op.linkTarget }
        : { encoding: 'local' as const, file: path.isAbsolute(op.backup!) ? op.backup! : path.join(journalDir, op.backup!) };
    if (op.kind === 'chmod') ops.push({ type: 'chmod', path: op.path, expect: op.before, mode });
    else ops.push({ type: 'write', path: op.path, expect, content, newHash: op.before, mode });
  }
  return ops;
}

export async function undoLastMerge(o: Omit<ApplyOptions, 'setId' | 'undoOf'>): Promise<ApplyResult & { undid: MergeJournal }> {
  const j = lastMerge(o.journalDir);
  if (!j) throw new AirlockError('PATCH_NOTHING_TO_UNDO', 'there is no merge to undo in this workspace');
  try {
    const r = await applyOps(inverseOps(o.journalDir, j), { ...o, setId: j.setId, undoOf: j.mergeId });
    for (const d of [...j.createdDirs].reverse()) {
      try {
        fs.rmdirSync(path.join(o.workspace, d));
      } catch {
        /* the person put something there: keep it */
      }
    }
    j.state = 'undone';
    writeJournal(o.journalDir, j);
    return { ...r, undid: j };
  } catch (err) {
    const e = AirlockError.from(err);
    if (e.code === 'PATCH_BASE_CHANGED')
      throw new AirlockError(
        'PATCH_UNDO_CONFLICT',
        `cannot undo merge ${j.mergeId}: ${e.message}`,
        'your edits since the merge are kept; undo those first or revert by hand',
      );
    throw e;
  }
}
