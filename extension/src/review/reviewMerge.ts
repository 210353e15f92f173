// Merging a reviewed patch set on the host: plan, one WorkspaceEdit, conflicts to the merge editor, and undo.
import * as vscode from 'vscode';
import { AirlockError, formatError } from '../../../protocol/src/errors';
import type { MergeConflict, PatchSet, ReviewState } from '../../../protocol/src/patches';
import { applyPlan, type MergeRecord, undoMerge } from './applier';
import type { ConflictResolver } from './conflicts';
import type { HunkDecorations } from './hunkDecorations';
import type { PatchTree } from './patchTree';
import { fileHunks, parsePatchUriPath, PATCH_SCHEME } from './proposed';
import type { ReviewClient } from './reviewClient';
import type { HunkCodeLensProvider } from './reviewProviders';

const LAST_MERGE_KEY = 'airlock.review.lastMerge.v1';

/** The controller's views, repainted after a merge; `statusChanged` is its event the chat's card follows. */
export interface MergeViews {
  tree: PatchTree;
  lenses: HunkCodeLensProvider;
  marks: HunkDecorations;
  statusChanged(e: { setId: string; status: PatchSet['status'] }): void;
}

/** Owned by the review controller (reviewController.ts), which shares its map of open conflicts with it. */
export class MergeFlow {
  constructor(
    private readonly root: vscode.Uri | undefined,
    private readonly client: ReviewClient,
    private readonly memento: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
    private readonly conflicts: Map<string, MergeConflict[]>,
    private readonly resolver: ConflictResolver | undefined,
    private readonly views: MergeViews,
  ) {}

  /** Plans against the workspace as it is now, applies through one WorkspaceEdit, and reports the result to the kernel. */
  async merge(setId: string): Promise<void> {
    if (!this.root) throw new AirlockError('REVIEW_NO_FOLDER', 'open a folder to merge into');
    const plan = await this.client.plan(setId);
    if (!plan.ops.length && !plan.conflicts.length) {
      void vscode.window.showInformationMessage('Nothing accepted to merge yet.');
      return;
    }
    // Conflicts are never skipped: what merges cleanly is written now (it leaves the person's edits alone), then each
    // conflicted file opens in the merge editor with the person's text before this merge as "yours".
    const yours = new Map<string, string | null>();
    for (const c of plan.conflicts) if (!yours.has(c.path)) yours.set(c.path, await readText(this.root, c.path));
    if (plan.conflicts.length) this.conflicts.set(setId, plan.conflicts);
    else this.conflicts.delete(setId);
    if (!plan.ops.length) {
      await this.openConflicts(setId, plan.conflicts, yours);
      return;
    }
    const mergeId = `m_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    let record: MergeRecord;
    try {
      record = await applyPlan(this.root, plan, mergeId, (hash, size) => this.client.blob(setId, hash, size));
    } catch (err) {
      await this.client.merged(setId, { mergeId, outcome: 'failed', paths: [] }).catch(() => undefined);
      throw err;
    }
    // The undo record and the kernel's report are independent: one round of waiting, not two.
    const [, { status }] = await Promise.all([
      this.memento.update(LAST_MERGE_KEY, record),
      this.client.merged(setId, {
        mergeId,
        outcome: 'merged',
        paths: record.files.map((f) => f.path),
        completePaths: plan.completePaths,
        appliedHunks: plan.appliedHunks,
      }),
    ]);
    const follow = () => {
      this.views.tree.refresh();
      this.views.lenses.refresh();
      this.views.marks.paint(setId);
      this.views.statusChanged({ setId, status });
    };
    if (plan.conflicts.length) {
      follow();
      void vscode.window.showWarningMessage(
        `Merged ${record.files.length} file(s) from ${setId}; ${plan.conflicts.length} conflict(s) to resolve in the merge editor. The set stays open until each is merged or dropped.`,
      );
      await this.openConflicts(setId, plan.conflicts, yours);
      return;
    }
    // The merged file opens before "Merged" is said: opened after it, it would take the focus from whatever the person
    // turned to next.
    // The views and the chat's card follow once "Merged" is on its way: their refreshes (a kernel round trip, a webview
    // render) would otherwise compete with it for the workbench.
    try {
      await this.showMerged(setId, record);
      void vscode.window.showInformationMessage(
        `Merged ${record.files.length} file(s) from ${setId}. Undo with "Airlock: Undo Last Merge" or the editor's undo.`,
      );
    } finally {
      follow();
    }
  }

  private async openConflicts(setId: string, conflicts: MergeConflict[], yours: ReadonlyMap<string, string | null>): Promise<void> {
    this.views.tree.refresh();
    this.views.lenses.refresh();
    this.views.marks.paint(setId);
    const { set, review } = await this.client.show(setId, true);
    if (!this.resolver) throw new AirlockError('REVIEW_NO_FOLDER', 'open a folder to merge into');
    await this.resolver.resolve(set, conflicts, acceptedHunks(set, review), yours);
  }

  /** The set's proposed diffs are stale once merged: close them and show the merged file itself. */
  private async showMerged(setId: string, record: MergeRecord): Promise<void> {
    const first = record.files.find((f) => f.afterHash !== null);
    const root = this.root;
    // Closing the stale tabs and opening the merged file do not depend on each other: one wait, not two.
    await Promise.all([
      closeProposed(setId),
      first && root ? vscode.window.showTextDocument(vscode.Uri.joinPath(root, first.path), { preview: false }) : undefined,
    ]);
  }

  /** Puts back the files of this workspace's last merge (its record is kept in the workspace state) and tells the kernel. */
  async undo(): Promise<void> {
    const record = this.memento.get<MergeRecord>(LAST_MERGE_KEY);
    if (!record || !this.root) {
      void vscode.window.showInformationMessage('No merge to undo in this workspace.');
      return;
    }
    await undoMerge(this.root, record);
    await this.memento.update(LAST_MERGE_KEY, undefined);
    await this.client
      .merged(record.setId, { mergeId: record.mergeId, outcome: 'undone', paths: record.files.map((f) => f.path) })
      .catch((err) => this.log.warn(formatError(err)));
    this.views.tree.refresh();
    void vscode.window.showInformationMessage(`Undid merge ${record.mergeId} (${record.files.length} file(s)).`);
  }
}

export async function closeProposed(setId: string): Promise<void> {
  const stale = vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter(
      (t) =>
        t.input instanceof vscode.TabInputTextDiff &&
        t.input.modified.scheme === PATCH_SCHEME &&
        parsePatchUriPath(t.input.modified.path)?.setId === setId,
    );
  if (stale.length) await vscode.window.tabGroups.close(stale);
}

/** Hunk ids the person accepted (a hunk's own decision wins over its file's). */
export function acceptedHunks(set: PatchSet, review: ReviewState): Set<string> {
  return new Set(
    set.files.flatMap((f) =>
      fileHunks(f)
        .filter((h) => (review[f.path]?.hunks[h.id] ?? review[f.path]?.file) === 'accept')
        .map((h) => h.id),
    ),
  );
}

async function readText(root: vscode.Uri | undefined, path: string): Promise<string | null> {
  if (!root) return null;
  try {
    return Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(root, path))).toString('utf8');
  } catch {
    return null;
  }
}
