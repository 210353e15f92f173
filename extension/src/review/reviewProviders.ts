// Read-only `airlock-patch:` documents (the proposed side of the native diff) and per-hunk Accept/Reject CodeLens on them.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import type { FilePatch, MergeConflict } from '../../../protocol/src/patches';
import { hunkLensTitles, hunkState } from './patchItems';
import { fileHunks, hunkAnchorLines, parsePatchUriPath, PATCH_SCHEME, proposedText } from './proposed';
import type { ReviewClient } from './reviewClient';

export async function readWorkspaceText(root: vscode.Uri, rel: string): Promise<{ text: string; hash: string } | null> {
  try {
    const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(root, rel));
    return { text: Buffer.from(bytes).toString('utf8'), hash: crypto.createHash('sha256').update(bytes).digest('hex') };
  } catch {
    return null;
  }
}

export class PatchContentProvider extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly _onDidChange = this._register(new Emitter<vscode.Uri>());
  readonly onDidChange = this._onDidChange.event as vscode.Event<vscode.Uri>;
  /** Proposed documents whose hunks no longer apply to the workspace file: shown as the file itself, without hunk lenses. */
  readonly stale = new Set<string>();

  constructor(
    private readonly root: vscode.Uri,
    private readonly review: ReviewClient,
  ) {
    super();
  }

  changed(uri: vscode.Uri): void {
    this._onDidChange.fire(uri);
  }

  async file(uri: vscode.Uri): Promise<FilePatch | undefined> {
    const p = parsePatchUriPath(uri.path);
    if (!p) return undefined;
    const { set } = await this.review.show(p.setId);
    return set.files.find((f) => f.path === p.path);
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const f = await this.file(uri);
    if (!f) return '(this file is not part of the patch set any more)';
    if (uri.query === 'base') return '';
    switch (f.type) {
      case 'add':
        return proposedText('', f.hunks) ?? '(the proposed content could not be rebuilt)';
      case 'delete':
        return '';
      case 'binary':
        return '';
      case 'mode':
        return (await readWorkspaceText(this.root, f.path))?.text ?? '';
      case 'rename':
        return (await readWorkspaceText(this.root, f.from))?.text ?? '';
      case 'modify': {
        const base = await readWorkspaceText(this.root, f.path);
        // Hunks already merged are in the workspace file: only the rest is applied on top of it.
        const done = new Set((await this.review.show(parsePatchUriPath(uri.path)!.setId)).done);
        const out = base
          ? proposedText(
              base.text,
              f.hunks.filter((h) => !done.has(h.id)),
            )
          : undefined;
        if (out !== undefined) {
          this.stale.delete(uri.toString());
          return out;
        }
        // Never a placeholder parsed as code: the workspace file as it is, and the lens says why there are no hunk actions.
        this.stale.add(uri.toString());
        return base?.text ?? '';
      }
      default: {
        const never: never = f;
        return never;
      }
    }
  }
}

export class HunkCodeLensProvider extends Disposable implements vscode.CodeLensProvider {
  private readonly _onDidChange = this._register(new Emitter<void>());
  readonly onDidChangeCodeLenses = this._onDidChange.event as vscode.Event<void>;

  constructor(
    private readonly content: PatchContentProvider,
    private readonly review: ReviewClient,
    private readonly conflicts: (setId: string) => readonly MergeConflict[] = () => [],
  ) {
    super();
  }

  refresh(): void {
    this._onDidChange.fire();
  }

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (doc.uri.scheme !== PATCH_SCHEME || doc.uri.query !== 'proposed') return [];
    const p = parsePatchUriPath(doc.uri.path);
    const f = await this.content.file(doc.uri);
    if (!p || !f) return [];
    const shown = this.review.cached(p.setId);
    const state = shown?.review[f.path];
    const facts = { review: shown?.review ?? {}, done: shown?.done ?? [], conflicts: this.conflicts(p.setId) };
    const top = new vscode.Range(0, 0, 0, 0);
    // The first line also carries the first hunk's lenses, and a diff pane is narrow: the file-wide Accept/Reject live in
    // the editor title bar (and Shift+Alt+Y/N), so only Merge stays up here.
    const fileState = state?.file === 'accept' ? ' (file accepted)' : state?.file === 'reject' ? ' (file rejected)' : '';
    const lenses = [
      new vscode.CodeLens(top, {
        title: `$(git-merge) Merge accepted${fileState}`,
        command: 'airlock.mergePatchSet',
        arguments: [p.setId],
        tooltip: 'Write the accepted hunks of this patch set to the workspace (one undoable edit)',
      }),
    ];
    if (this.content.stale.has(doc.uri.toString())) {
      lenses.push(
        new vscode.CodeLens(top, {
          title: '$(warning) The workspace file changed under this proposal: resolve in the merge editor',
          command: 'airlock.resolveConflicts',
          arguments: [p.setId, f.path],
        }),
      );
      return lenses;
    }
    const done = new Set(facts.done);
    for (const { hunkId, line } of hunkAnchorLines(fileHunks(f).filter((h) => !done.has(h.id)))) {
      const at = new vscode.Range(Math.min(line, Math.max(0, doc.lineCount - 1)), 0, Math.min(line, Math.max(0, doc.lineCount - 1)), 0);
      const hs = hunkState(facts, f.path, hunkId);
      const t = hunkLensTitles(hs);
      lenses.push(
        hs === 'conflicted'
          ? new vscode.CodeLens(at, {
              title: t.accept,
              command: 'airlock.resolveConflicts',
              arguments: [p.setId, f.path],
              tooltip: 'Open the three-way merge editor: base, yours, proposed',
            })
          : new vscode.CodeLens(at, {
              title: t.accept,
              command: 'airlock.acceptHunk',
              arguments: [p.setId, f.path, hunkId],
              tooltip: 'Accept this hunk (Alt+Y on the hunk)',
            }),
      );
      if (t.reject)
        lenses.push(
          new vscode.CodeLens(at, {
            title: t.reject,
            command: 'airlock.rejectHunk',
            arguments: [p.setId, f.path, hunkId],
            tooltip: hs === 'conflicted' ? 'Keep your version here and drop this hunk' : 'Reject this hunk (Alt+N on the hunk)',
          }),
        );
    }
    return lenses;
  }

  /** The hunk under the cursor in a proposed document, for the keyboard shortcuts. */
  async hunkAt(editor: vscode.TextEditor): Promise<{ setId: string; path: string; hunkId: string } | undefined> {
    const p = parsePatchUriPath(editor.document.uri.path);
    const f = p && (await this.content.file(editor.document.uri));
    if (!p || !f) return undefined;
    const line = editor.selection.active.line;
    const anchors = hunkAnchorLines(fileHunks(f));
    const hit = [...anchors].reverse().find((a) => a.line <= line) ?? anchors[0];
    return hit ? { setId: p.setId, path: f.path, hunkId: hit.hunkId } : undefined;
  }
}
