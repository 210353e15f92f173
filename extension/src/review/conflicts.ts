// Conflicts are resolved, never skipped: a conflicted text file opens VS Code's three-way merge editor (base, yours,
// proposed → the workspace file); a full-file conflict asks replace/keep. What the person settles is reported to the kernel.
import * as vscode from 'vscode';
import { AirlockError, formatError } from '../../../protocol/src/errors';
import { Disposable } from '../../../protocol/src/lifecycle';
import type { FilePatch, MergeConflict, PatchSet } from '../../../protocol/src/patches';
import { sha256 } from '../../../core/src/apply/file-hash';
import { actionWords, binarySummary, mergeSides } from './patchItems';
import type { ReviewClient } from './reviewClient';

export const MERGE_SCHEME = 'airlock-merge';

/** One file waiting in a merge editor: the hunks it settles and the result's hash when it opened (unchanged = nothing chosen). */
interface Pending {
  setId: string;
  path: string;
  hunkIds: string[];
  complete: boolean;
  openedHash: string | null;
}

export class ConflictResolver extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly root: vscode.Uri,
    private readonly client: ReviewClient,
    private readonly log: vscode.LogOutputChannel,
    private readonly settled: (setId: string) => void,
  ) {
    super();
    this._register(vscode.workspace.registerTextDocumentContentProvider(MERGE_SCHEME, this));
    // The merge editor closing settles the file: "Complete Merge" saves the result, then closes it. A save while it is
    // open (files.autoSave saves every accepted change) is not the end: the person may still be choosing. A save after
    // it closed with unsaved results is.
    this._register(vscode.workspace.onDidSaveTextDocument((d) => void this.savedLater(d)));
    this._register(
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        for (const t of e.closed) {
          const r = mergeResultOf(t);
          if (r) void this.closed(r);
        }
      }),
    );
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  /** Whether a merge editor for this file is open and waiting. */
  isOpen(setId: string, path: string): boolean {
    return [...this.pending.values()].some((p) => p.setId === setId && p.path === path);
  }

  /** Resolves each conflicted file: a merge editor for text, a replace/keep question for whole files. `yours`: text before the merge. */
  async resolve(
    set: PatchSet,
    conflicts: readonly MergeConflict[],
    accepted: ReadonlySet<string>,
    yours: ReadonlyMap<string, string | null>,
  ): Promise<void> {
    const byPath = new Map<string, MergeConflict[]>();
    for (const c of conflicts) byPath.set(c.path, [...(byPath.get(c.path) ?? []), c]);
    for (const [path, cs] of byPath) {
      const f = set.files.find((x) => x.path === path);
      if (!f) continue;
      try {
        await this.resolveFile(set.id, f, cs, accepted, yours.get(path));
      } catch (err) {
        this.log.error(`resolving ${path}: ${formatError(err)}`);
        void vscode.window.showErrorMessage(`Could not open the conflict in ${path}: ${AirlockError.from(err).message}`);
      }
    }
  }

  private async resolveFile(
    setId: string,
    f: FilePatch,
    cs: MergeConflict[],
    accepted: ReadonlySet<string>,
    yours: string | null | undefined,
  ): Promise<void> {
    const output = vscode.Uri.joinPath(this.root, f.path);
    const now = await readBytes(output);
    const hunkIds = cs.flatMap((c) => (c.hunkId ? [c.hunkId] : []));
    const baseText = f.type === 'modify' ? await this.baseText(setId, f.baseHash) : undefined;
    const sides = now === null || isBinary(now) ? { reason: cs[0]!.reason } : mergeSides(f, accepted, baseText);
    if ('reason' in sides) {
      await this.askWhole(setId, f, cs, hunkIds);
      return;
    }
    const key = (side: string) => vscode.Uri.from({ scheme: MERGE_SCHEME, path: `/${setId}/${f.path}`, query: side });
    const uris = { base: key('base'), yours: key('yours'), proposed: key('proposed') };
    this.texts.set(uris.base.toString(), sides.base);
    this.texts.set(uris.yours.toString(), yours ?? Buffer.from(now!).toString('utf8'));
    this.texts.set(uris.proposed.toString(), sides.proposed);
    this.pending.set(output.toString(), { setId, path: f.path, hunkIds, complete: f.type === 'add', openedHash: sha256(now!) });
    // The same command and arguments VS Code's git extension uses for its merge editor.
    await vscode.commands.executeCommand('_open.mergeEditor', {
      base: uris.base,
      input1: { uri: uris.yours, title: 'Yours', description: 'the workspace before the merge' },
      input2: { uri: uris.proposed, title: 'Proposed', description: `Airlock ${setId}` },
      output,
    });
  }

  /** review/blob serves a text file's base by its hash; verified here before it is shown as the common ancestor. */
  private async baseText(setId: string, hash: string): Promise<string | undefined> {
    const bytes = await this.client.blob(setId, hash, Number.MAX_SAFE_INTEGER).catch((err) => {
      this.log.warn(formatError(err));
      return undefined;
    });
    return bytes && sha256(bytes) === hash ? Buffer.from(bytes).toString('utf8') : undefined;
  }

  /** Whole-file conflicts (binary, delete, rename, mode, a file gone): take the proposal, keep yours, or decide later. */
  private async askWhole(setId: string, f: FilePatch, cs: MergeConflict[], hunkIds: string[]): Promise<void> {
    const words = actionWords(f);
    const canTake = (f.type === 'binary' || f.type === 'delete') && cs.every((c) => !/deleted|gone/.test(c.reason));
    const take = canTake ? `${cap(words.accept)} anyway` : undefined;
    const keep = 'Keep yours (drop the change)';
    const detail = `${cs.map((c) => c.reason).join('\n')}${f.type === 'binary' ? `\n\n${binarySummary(f)}` : ''}`;
    const pick = await vscode.window.showWarningMessage(`Conflict in ${f.path}`, { modal: true, detail }, ...(take ? [take] : []), keep);
    if (pick === keep) await this.drop(setId, f.path, hunkIds);
    else if (pick && pick === take) await this.takeWhole(setId, f);
  }

  /** The person chose the proposal over their edit: one undoable WorkspaceEdit, reported as a merge of that path. */
  private async takeWhole(setId: string, f: FilePatch): Promise<void> {
    const uri = vscode.Uri.joinPath(this.root, f.path);
    const edit = new vscode.WorkspaceEdit();
    if (f.type === 'delete') edit.deleteFile(uri, { ignoreIfNotExists: true });
    else if (f.type === 'binary') {
      const bytes = await this.client.blob(setId, f.newHash, f.size);
      if (sha256(bytes) !== f.newHash)
        throw new AirlockError('MERGE_CONTENT_HASH', `${f.path}: content does not match its hash`, 'refresh the review');
      edit.createFile(uri, { overwrite: true, contents: bytes });
    } else return;
    if (!(await vscode.workspace.applyEdit(edit)))
      throw new AirlockError('MERGE_EDIT_REFUSED', 'VS Code refused the edit', 'nothing was written');
    await this.report(setId, f.path, [], true);
  }

  private take(uri: vscode.Uri | string): Pending | undefined {
    const key = uri.toString();
    const p = this.pending.get(key);
    if (!p) return undefined;
    this.pending.delete(key);
    for (const side of ['base', 'yours', 'proposed'])
      this.texts.delete(vscode.Uri.from({ scheme: MERGE_SCHEME, path: `/${p.setId}/${p.path}`, query: side }).toString());
    return p;
  }

  private async savedLater(doc: vscode.TextDocument): Promise<void> {
    const p = this.pending.get(doc.uri.toString());
    if (!p || this.mergeTabOpen(doc.uri) || sha256(Buffer.from(doc.getText(), 'utf8')) === p.openedHash) return;
    this.take(doc.uri);
    await this.report(p.setId, p.path, p.hunkIds, p.complete).catch((err) => this.failed(p.path, err));
  }

  private mergeTabOpen(uri: vscode.Uri): boolean {
    return vscode.window.tabGroups.all.some((g) =>
      g.tabs.some((t) => {
        const r = mergeResultOf(t);
        return typeof r === 'string' ? r === posixBase(uri.toString()) : r?.toString() === uri.toString();
      }),
    );
  }

  private async closed(result: vscode.Uri | string): Promise<void> {
    const key = typeof result === 'string' ? [...this.pending.keys()].find((k) => posixBase(k) === result) : result.toString();
    const p = key ? this.take(key) : undefined;
    if (!p) return;
    try {
      // What the person saved is the resolution; an unchanged file means they kept theirs: asked, never assumed.
      const now = await readBytes(vscode.Uri.joinPath(this.root, p.path));
      const dirty = vscode.workspace.textDocuments.some((d) => d.uri.toString() === key && d.isDirty);
      if (dirty) {
        this.pending.set(key!, p);
        void vscode.window.showWarningMessage(
          `${p.path} has unsaved merge results: save it to complete the resolution, or merge the set again.`,
        );
        return;
      }
      if (now && sha256(now) !== p.openedHash) {
        await this.report(p.setId, p.path, p.hunkIds, p.complete);
        return;
      }
      const drop = 'Drop the proposed change';
      const pick = await vscode.window.showWarningMessage(
        `${p.path} was not changed in the merge editor. Keep your version and drop the proposed change?`,
        { modal: true, detail: 'Otherwise the conflict stays open in the Patches view.' },
        drop,
      );
      if (pick === drop) await this.drop(p.setId, p.path, p.hunkIds);
    } catch (err) {
      this.failed(p.path, err);
    }
  }

  private failed(path: string, err: unknown): void {
    this.log.error(formatError(err));
    void vscode.window.showErrorMessage(`Could not record the resolution of ${path}: ${AirlockError.from(err).message}`);
  }

  /** The saved result is what is merged: the conflicted hunks count as in (audited as review.merged of that path). */
  private async report(setId: string, path: string, hunkIds: string[], complete: boolean): Promise<void> {
    const mergeId = `r_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const r = await this.client.merged(setId, {
      mergeId,
      outcome: 'merged',
      paths: [path],
      appliedHunks: hunkIds,
      completePaths: complete ? [path] : [],
    });
    this.settled(setId);
    void vscode.window.showInformationMessage(r.status === 'merged' ? `Resolved ${path}; ${setId} is merged.` : `Resolved ${path}.`);
  }

  /** Explicitly dropped: the conflicted hunks (or the file) are rejected, an audited decision. */
  private async drop(setId: string, path: string, hunkIds: string[]): Promise<void> {
    await this.client.decide(
      setId,
      hunkIds.length ? hunkIds.map((hunkId) => ({ path, hunkId, decision: 'reject' as const })) : [{ path, decision: 'reject' }],
    );
    this.settled(setId);
  }
}

async function readBytes(uri: vscode.Uri): Promise<Uint8Array | null> {
  try {
    return await vscode.workspace.fs.readFile(uri);
  } catch {
    return null;
  }
}

/** A closed merge editor's result: its input's `result` (the tab input VS Code builds for merge editors), else its "Merging: x" label. */
function mergeResultOf(t: vscode.Tab): vscode.Uri | string | undefined {
  const r = (t.input as { result?: unknown } | undefined)?.result;
  if (r instanceof vscode.Uri) return r;
  return t.input === undefined && t.label.startsWith('Merging: ') ? t.label.slice('Merging: '.length) : undefined;
}

function posixBase(uri: string): string {
  return decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1));
}

function isBinary(b: Uint8Array): boolean {
  return b.subarray(0, 8000).includes(0);
}
function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
