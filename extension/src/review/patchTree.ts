// The Patches view: pending patch sets (task, files, +/- counts, tests) and their files; a clear message when unavailable.
import * as vscode from 'vscode';
import { formatError } from '../../../protocol/src/errors';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import type { FilePatch, MergeConflict, PatchSetSummary } from '../../../protocol/src/patches';
import type { Verification } from '../../../protocol/src/provenance';
import { fileDescription, fileKindIcon, fileState, type FileState, setLabel, STATE_ICON } from './patchItems';
import { fileHunks } from './proposed';
import type { ReviewClient } from './reviewClient';

export type PatchNode =
  | { type: 'set'; set: PatchSetSummary; prompt?: string }
  | { type: 'file'; setId: string; file: FilePatch; state: FileState }
  /** The set's verify-before-merge state: tests rerun on exactly the accepted hunks (click to run). */
  | { type: 'verify'; setId: string; v?: Verification; current?: boolean };

export class PatchTree extends Disposable implements vscode.TreeDataProvider<PatchNode> {
  private readonly _onDidChange = this._register(new Emitter<PatchNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChange.event as vscode.Event<PatchNode | undefined>;
  view?: vscode.TreeView<PatchNode>;
  pending: PatchSetSummary[] = [];

  /** `conflicts`: the open conflicts of a set from its last merge plan (the kernel does not keep them). */
  constructor(
    private readonly review: ReviewClient,
    private readonly log: vscode.LogOutputChannel,
    private readonly conflicts: (setId: string) => readonly MergeConflict[] = () => [],
  ) {
    super();
  }

  refresh(): void {
    this._onDidChange.fire(undefined);
    // VS Code asks a hidden view for nothing, so its badge would keep the count it had when last on screen (a set
    // merged from the chat's card left "1" on the activity bar): the count is read here then.
    if (this.view && !this.view.visible)
      void this.review.list().then(
        (pending) => this.showCount((this.pending = pending)),
        (err) => this.log.warn(formatError(err)),
      );
  }

  private showCount(pending: readonly PatchSetSummary[]): void {
    if (this.view)
      this.view.badge = pending.length ? { value: pending.length, tooltip: `${pending.length} patch set(s) to review` } : undefined;
  }

  async getChildren(node?: PatchNode): Promise<PatchNode[]> {
    try {
      if (!node) {
        const pending = await this.review.list();
        const prompts = await this.review.taskTitles(pending.flatMap((p) => (p.taskId ? [p.taskId] : [])));
        this.pending = pending;
        this.setMessage(this.pending.length ? undefined : 'No pending patch sets.');
        this.showCount(pending);
        return this.pending.map((set) => ({ type: 'set', set, prompt: set.taskId ? prompts.get(set.taskId) : undefined }));
      }
      if (node.type === 'set') {
        const { set, review, done, verification, verificationCurrent } = await this.review.show(node.set.id, true);
        const verify: PatchNode = { type: 'verify', setId: set.id, v: verification, current: verificationCurrent };
        const facts = { review, done, conflicts: this.conflicts(set.id) };
        return [verify, ...set.files.map((file): PatchNode => ({ type: 'file', setId: set.id, file, state: fileState(facts, file) }))];
      }
      return [];
    } catch (err) {
      this.log.warn(formatError(err));
      const e = err as { message?: string; hint?: string };
      this.setMessage(`${e.message ?? String(err)}${e.hint ? ` (${e.hint})` : ''}`);
      return [];
    }
  }

  getTreeItem(node: PatchNode): vscode.TreeItem {
    if (node.type === 'set') {
      const s = node.set;
      const tests = s.testsPassed === null ? 'tests not run' : s.testsPassed ? 'tests passed' : 'tests failed';
      const item = new vscode.TreeItem(setLabel(s, node.prompt), vscode.TreeItemCollapsibleState.Collapsed);
      item.id = s.id;
      item.description = `${s.files} file${s.files === 1 ? '' : 's'} +${s.added} −${s.removed} · ${tests}${s.blocked ? ` · ${s.blocked} blocked` : ''}`;
      item.tooltip = new vscode.MarkdownString(
        `**${s.id}**${s.taskId ? ` · task ${s.taskId}` : ''}\n\n${s.pendingHunks} hunk(s) pending · ${tests} · source: ${s.source} · ${new Date(s.createdAt).toLocaleString()}`,
      );
      item.iconPath = new vscode.ThemeIcon(s.testsPassed === false ? 'testing-failed-icon' : 'git-pull-request');
      item.contextValue = 'airlock.patchSet';
      item.accessibilityInformation = { label: `Patch set ${setLabel(s, node.prompt)}, ${item.description}` };
      return item;
    }
    if (node.type === 'verify') return verifyItem(node);
    const f = node.file;
    const item = new vscode.TreeItem(f.path, vscode.TreeItemCollapsibleState.None);
    item.id = `${node.setId}:${f.path}`;
    item.description = fileDescription(f, node.state);
    item.resourceUri = vscode.Uri.file(f.path);
    // The state's icon (a conflict in the warning colour) says what is left; the kind (deleted, binary) is in the words.
    const kind = fileKindIcon(f);
    item.iconPath = new vscode.ThemeIcon(
      node.state === 'pending' && kind ? kind : STATE_ICON[node.state],
      node.state === 'conflicted' ? new vscode.ThemeColor('list.warningForeground') : undefined,
    );
    item.contextValue = 'airlock.patchFile';
    item.command =
      node.state === 'conflicted'
        ? { command: 'airlock.resolveConflicts', title: 'Resolve in Merge Editor', arguments: [node.setId, f.path] }
        : { command: 'airlock.openPatchFile', title: 'Open Diff', arguments: [node.setId, f.path] };
    item.tooltip =
      f.type === 'binary'
        ? `${f.path}\nsha256 ${f.baseHash ?? '(new file)'} → ${f.newHash}\naccept replaces the workspace file, reject keeps it`
        : `${fileHunks(f).length} hunk(s) · ${node.state}`;
    item.accessibilityInformation = { label: `${f.path}, ${item.description}` };
    return item;
  }

  private setMessage(m: string | undefined): void {
    if (this.view) this.view.message = m;
  }
}

function verifyItem(node: Extract<PatchNode, { type: 'verify' }>): vscode.TreeItem {
  const { v, current } = node;
  const state = !v
    ? 'not verified'
    : current === false
      ? `${v.outcome} (stale: decisions or files changed)`
      : v.outcome === 'passed'
        ? `passed (${v.passed})`
        : v.outcome === 'failed'
          ? `FAILED: ${v.failing.join('; ') || `${v.failed} test(s)`}`
          : `error: ${v.error?.message ?? 'unknown'}`;
  const item = new vscode.TreeItem('Tests on accepted changes', vscode.TreeItemCollapsibleState.None);
  item.id = `${node.setId}:verify`;
  item.description = state;
  item.iconPath = new vscode.ThemeIcon(
    v?.outcome === 'passed' && current !== false ? 'pass' : v?.outcome === 'failed' ? 'testing-failed-icon' : 'beaker',
  );
  item.tooltip = `Rerun the tests on exactly the accepted hunks in a fresh sandbox before merging${v ? `\n\ntree ${v.treeDigest}` : ''}`;
  item.contextValue = 'airlock.patchVerify';
  item.command = { command: 'airlock.verifyPatchSet', title: 'Verify Accepted Changes', arguments: [node.setId] };
  return item;
}
