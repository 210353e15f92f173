// Wires the Patches view, diff documents and CodeLens to the review/* methods; merges through the WorkspaceEdit applier.
import * as vscode from 'vscode';
import { AirlockError, formatError } from '../../../protocol/src/errors';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import type { Decision, MergeConflict, PatchSet, ReviewItem, ReviewState } from '../../../protocol/src/patches';
import type { KernelService } from '../kernel/kernelService';
import { onKernelClient } from '../kernelEvents';
import { ConflictResolver } from './conflicts';
import { HunkDecorations } from './hunkDecorations';
import { actionWords, binarySummary, hunkState } from './patchItems';
import { type PatchNode, PatchTree } from './patchTree';
import { fileHunks, fileStats, parsePatchUriPath, PATCH_SCHEME, patchUriParts } from './proposed';
import { ReviewClient } from './reviewClient';
import { acceptedHunks, closeProposed, MergeFlow } from './reviewMerge';
import { HunkCodeLensProvider, PatchContentProvider } from './reviewProviders';

export class ReviewController extends Disposable {
  readonly client: ReviewClient;
  readonly tree: PatchTree;
  private readonly content: PatchContentProvider;
  private readonly lenses: HunkCodeLensProvider;
  private readonly marks: HunkDecorations;
  private readonly resolver?: ConflictResolver;
  private readonly merges: MergeFlow;
  /** Open conflicts per set, from its last merge plan: shown per hunk until merged in the merge editor or dropped. */
  private readonly conflicts = new Map<string, MergeConflict[]>();
  private readonly _onDidChangeStatus = this._register(new Emitter<{ setId: string; status: PatchSet['status'] }>());
  /** A set's status after a merge, a resolution or a decision (merged / rejected / pending): the chat's card follows it. */
  readonly onDidChangeStatus = this._onDidChangeStatus.event;

  constructor(
    kernel: KernelService | undefined,
    private readonly root: vscode.Uri | undefined,
    private readonly memento: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.client = new ReviewClient(kernel);
    this.tree = this._register(new PatchTree(this.client, log, (id) => this.conflicts.get(id) ?? []));
    const view = vscode.window.createTreeView('airlock.patches', { treeDataProvider: this.tree, showCollapseAll: true });
    this.tree.view = view;
    this._register(view);
    // A new kernel connection (first start, restart) may hold other sets: the view lists what this kernel has.
    if (kernel)
      this._register(
        onKernelClient(kernel, () => {
          this.tree.refresh();
          return [];
        }),
      );
    this.content = this._register(new PatchContentProvider(root ?? vscode.Uri.file('/'), this.client));
    this.lenses = this._register(new HunkCodeLensProvider(this.content, this.client, (id) => this.conflicts.get(id) ?? []));
    this.marks = this._register(
      new HunkDecorations(
        this.client,
        (id) => this.conflicts.get(id) ?? [],
        (uri) => this.content.stale.has(uri.toString()),
      ),
    );
    if (root) this.resolver = this._register(new ConflictResolver(root, this.client, log, (id) => void this.settled(id)));
    this.merges = new MergeFlow(root, this.client, memento, log, this.conflicts, this.resolver, {
      tree: this.tree,
      lenses: this.lenses,
      marks: this.marks,
      statusChanged: (e) => this._onDidChangeStatus.fire(e),
    });
    this._register(vscode.workspace.registerTextDocumentContentProvider(PATCH_SCHEME, this.content));
    this._register(vscode.languages.registerCodeLensProvider({ scheme: PATCH_SCHEME }, this.lenses));
    const cmd = (id: string, fn: (...a: never[]) => unknown) =>
      this._register(
        vscode.commands.registerCommand(id, async (...a: never[]) => {
          try {
            return await fn(...a);
          } catch (err) {
            this.log.error(formatError(err));
            const e = AirlockError.from(err);
            void vscode.window.showErrorMessage(`${e.message}${e.hint ? ` — ${e.hint}` : ''}`);
          }
        }),
      );
    cmd('airlock.refreshPatches', () => this.tree.refresh());
    cmd('airlock.openPatchFile', (setId: string, path: string) => this.openFile(setId, path));
    cmd('airlock.openPatchSet', (arg: string | PatchNode) =>
      this.openSet(typeof arg === 'string' ? arg : arg.type === 'set' ? arg.set.id : arg.setId),
    );
    cmd('airlock.acceptHunk', (setId?: string, path?: string, hunkId?: string) => this.decideHunk('accept', setId, path, hunkId));
    cmd('airlock.rejectHunk', (setId?: string, path?: string, hunkId?: string) => this.decideHunk('reject', setId, path, hunkId));
    cmd('airlock.acceptFile', (a?: string | PatchNode, path?: string) => this.decideFile('accept', a, path));
    cmd('airlock.rejectFile', (a?: string | PatchNode, path?: string) => this.decideFile('reject', a, path));
    cmd('airlock.acceptPatchSet', (a: PatchNode | string) => this.decideSet('accept', a));
    cmd('airlock.rejectPatchSet', (a: PatchNode | string) => this.decideSet('reject', a));
    cmd('airlock.mergePatchSet', (a: PatchNode | string) => this.merge(typeof a === 'string' ? a : a.type === 'set' ? a.set.id : a.setId));
    cmd('airlock.verifyPatchSet', (a: PatchNode | string) =>
      this.verify(typeof a === 'string' ? a : a.type === 'set' ? a.set.id : a.setId),
    );
    cmd('airlock.resolveConflicts', (a?: string | PatchNode, path?: string) =>
      this.resolveConflicts(
        typeof a === 'string' ? a : a?.type === 'set' ? a.set.id : a?.setId,
        path ?? (a && typeof a !== 'string' && a.type === 'file' ? a.file.path : undefined),
      ),
    );
    cmd('airlock.undoLastMerge', () => this.merges.undo());
    cmd('airlock.reviewPendingPatches', () => this.reviewPending());
  }

  async openFile(setId: string, path: string): Promise<void> {
    const { set } = await this.client.show(setId);
    const f = set.files.find((x) => x.path === path);
    if (!f) throw new AirlockError('REVIEW_NO_FILE', `${path} is not in ${setId}`);
    if (f.type === 'binary') return this.askBinary(setId, f);
    const right = vscode.Uri.from(patchUriParts(setId, path));
    const leftRel = f.type === 'rename' ? f.from : path;
    const left = f.type === 'add' || !this.root ? right.with({ query: 'base' }) : vscode.Uri.joinPath(this.root, leftRel);
    await vscode.commands.executeCommand('vscode.diff', left, right, `${path} ↔ proposed (${setId})`, { preview: true });
  }

  /** A binary has no text diff (an image diff of a half-written preview is worse than none): size, hash, replace or keep. */
  private async askBinary(setId: string, f: Extract<PatchSet['files'][number], { type: 'binary' }>): Promise<void> {
    const w = actionWords(f);
    const replace = w.accept === 'add' ? 'Add it' : 'Replace with proposed',
      keep = w.reject === 'skip' ? 'Skip it' : 'Keep current';
    const detail = `${binarySummary(f)}\nbase sha256 ${f.baseHash ?? '(new file)'}\nnew sha256 ${f.newHash}`;
    const pick = await vscode.window.showInformationMessage(`${f.path} (binary)`, { modal: true, detail }, replace, keep);
    if (pick) await this.decide(setId, [{ path: f.path, decision: pick === replace ? 'accept' : 'reject' }]);
  }

  /** Verify before merge; the result shows in the Patches view (and a failing test by name in the message). */
  async verify(setId: string): Promise<void> {
    const v = await vscode.window.withProgress(
      { location: { viewId: 'airlock.patches' }, title: `Verifying accepted changes of ${setId}` },
      () => this.client.verify(setId),
    );
    this.tree.refresh();
    if (v.outcome === 'passed')
      void vscode.window.showInformationMessage(`Tests passed on the accepted changes of ${setId} (${v.passed}).`);
    else
      void vscode.window.showWarningMessage(
        v.outcome === 'failed'
          ? `Tests failed on the accepted changes: ${v.failing.join('; ') || `${v.failed} failing`}`
          : `Could not verify the accepted changes: ${v.error?.message ?? 'unknown error'}`,
      );
  }

  /** Files and +/- counts of a set, for the chat's patch-set card. */
  async summary(setId: string): Promise<{ files: number; added: number; removed: number }> {
    const { set } = await this.client.show(setId, true);
    const stats = set.files.map(fileStats);
    return { files: set.files.length, added: stats.reduce((n, x) => n + x.added, 0), removed: stats.reduce((n, x) => n + x.removed, 0) };
  }

  /** A new set from the kernel: list it; one the auto-merge criteria accepted is applied here, on the host. */
  async onPatchesReady(d: { setId: string; autoMerge: boolean }): Promise<void> {
    this.tree.refresh();
    if (!d.autoMerge) return;
    try {
      await this.merge(d.setId);
    } catch (err) {
      this.log.error(`auto-merge of ${d.setId} failed: ${formatError(err)}`);
      void vscode.window.showWarningMessage(
        `Airlock could not auto-merge ${d.setId}: ${AirlockError.from(err).message}. It stays in the Patches view for review.`,
      );
    }
  }

  async openSet(setId: string): Promise<void> {
    const { set } = await this.client.show(setId, true);
    await vscode.commands.executeCommand('airlock.patches.focus');
    const first = set.files[0];
    if (first) await this.openFile(setId, first.path);
  }

  private async activeHunk(): Promise<{ setId: string; path: string; hunkId: string } | undefined> {
    const ed = vscode.window.activeTextEditor;
    return ed && ed.document.uri.scheme === PATCH_SCHEME ? this.lenses.hunkAt(ed) : undefined;
  }

  private async decideHunk(decision: Decision, setId?: string, path?: string, hunkId?: string): Promise<void> {
    const target = setId && path && hunkId ? { setId, path, hunkId } : await this.activeHunk();
    if (!target)
      throw new AirlockError('REVIEW_NO_HUNK', 'no hunk here', 'open a proposed file from the Patches view and put the cursor in a hunk');
    await this.decide(target.setId, [{ path: target.path, hunkId: target.hunkId, decision }]);
  }

  private async decideFile(decision: Decision, a?: string | PatchNode, path?: string): Promise<void> {
    let setId: string | undefined, p: string | undefined;
    if (typeof a === 'string') {
      setId = a;
      p = path;
    } else if (a?.type === 'file') {
      setId = a.setId;
      p = a.file.path;
    } else {
      const uri = vscode.window.activeTextEditor?.document.uri;
      const parsed = uri?.scheme === PATCH_SCHEME ? parsePatchUriPath(uri.path) : undefined;
      setId = parsed?.setId;
      p = parsed?.path;
    }
    if (!setId || !p) throw new AirlockError('REVIEW_NO_FILE', 'no proposed file is active', 'open one from the Patches view first');
    const { set } = await this.client.show(setId);
    const f = set.files.find((x) => x.path === p);
    const items: ReviewItem[] = [{ path: p, decision }, ...(f ? fileHunks(f).map((h) => ({ path: p!, hunkId: h.id, decision })) : [])];
    await this.decide(setId, items);
  }

  private async decideSet(decision: Decision, a: PatchNode | string): Promise<void> {
    const setId = typeof a === 'string' ? a : a.type === 'set' ? a.set.id : a.setId;
    const { set } = await this.client.show(setId, true);
    if (decision === 'reject') {
      const ok = 'Reject all';
      const pick = await vscode.window.showWarningMessage(
        `Reject every change of ${setId} (${set.files.length} file(s))?`,
        { modal: true, detail: 'Nothing is written; the set leaves the Patches view. Hunks already merged stay in the workspace.' },
        ok,
      );
      if (pick !== ok) return;
    }
    await this.decide(
      setId,
      set.files.map((f) => ({ path: f.path, decision })),
    );
  }

  private async decide(setId: string, items: ReviewItem[]): Promise<void> {
    // The kernel has recorded (audited) the decision when this returns: only then does anything on screen change.
    await this.client.decide(setId, items);
    const shown = this.client.cached(setId);
    if (shown) this.settleConflicts(setId, shown.review, shown.done);
    this.marks.paint(setId);
    this.lenses.refresh();
    this.tree.refresh();
    if (shown && shown.set.status !== 'pending') this._onDidChangeStatus.fire({ setId, status: shown.set.status });
  }

  /** A conflict stays open until its hunk is merged (in `done`) or dropped (rejected). */
  private settleConflicts(setId: string, review: ReviewState, done: readonly string[]): void {
    const open = (this.conflicts.get(setId) ?? []).filter(
      (c) => hunkState({ review, done, conflicts: [c] }, c.path, c.hunkId ?? '') === 'conflicted',
    );
    if (open.length) this.conflicts.set(setId, open);
    else this.conflicts.delete(setId);
  }

  /** After the merge editor or a replace/keep answer: the kernel's view of the set, the views, and the chat's card. */
  private async settled(setId: string): Promise<void> {
    const { set, review, done } = await this.client.show(setId, true);
    this.settleConflicts(setId, review, done);
    this.marks.paint(setId);
    this.tree.refresh();
    this.lenses.refresh();
    this._onDidChangeStatus.fire({ setId, status: set.status });
    if (set.status !== 'pending') await closeProposed(setId); // its proposed diffs are stale now
  }

  /** Reopens the merge editor (or the replace/keep question) for a set's open conflicts, or one file's. */
  private async resolveConflicts(setId?: string, path?: string): Promise<void> {
    if (!setId) throw new AirlockError('REVIEW_NO_SET', 'no patch set chosen', 'use the action on a conflicted file in the Patches view');
    const open = (this.conflicts.get(setId) ?? []).filter((c) => !path || c.path === path);
    if (!open.length) {
      await this.merge(setId);
      return;
    }
    const { set, review } = await this.client.show(setId, true);
    await this.resolver?.resolve(set, open, acceptedHunks(set, review), new Map());
  }

  /** Plans against the workspace as it is now, applies through one WorkspaceEdit, and reports the result to the kernel. */
  merge(setId: string): Promise<void> {
    return this.merges.merge(setId);
  }

  private async reviewPending(): Promise<void> {
    await vscode.commands.executeCommand('airlock.patches.focus');
    const sets = await this.client.list();
    if (!sets.length) {
      void vscode.window.showInformationMessage('No pending patch sets.');
      return;
    }
    const pick = await vscode.window.showQuickPick(
      sets.map((s) => ({ label: s.taskId ?? s.id, description: `${s.files} files +${s.added} −${s.removed}`, detail: s.id, id: s.id })),
      { placeHolder: 'Pick a patch set to review' },
    );
    if (pick) await this.openSet(pick.id);
  }
}
