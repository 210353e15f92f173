// Applies a kernel MergePlan through one WorkspaceEdit (so editor undo works), after the shared host-side checks.
import * as vscode from 'vscode';
import { AirlockError } from '../../../protocol/src/errors';
import { safeTarget, verifyOps } from '../../../core/src/apply/apply';
import { currentHash, sha256 } from '../../../core/src/apply/file-hash';
import type { MergePlan } from '../../../protocol/src/patches';
import { posix } from 'node:path';

export interface MergeRecord {
  mergeId: string;
  setId: string;
  /** Per path: content before, base64 (null = did not exist), and the hash written. */
  files: { path: string; before: string | null; afterHash: string | null }[];
}

async function readDisk(uri: vscode.Uri): Promise<Uint8Array | null> {
  try {
    return await vscode.workspace.fs.readFile(uri);
  } catch (err) {
    if (err instanceof vscode.FileSystemError && err.code === 'FileNotFound') return null;
    throw err;
  }
}

/**
 * Before anything is written: no target has unsaved edits (the editor's buffer would diverge from disk), and the
 * shared applier's checks pass — safe paths (no escapes, no symlinked ancestors), regular files, and every file's
 * SHA-256 is what the plan was made against (PATCH_BASE_CHANGED otherwise).
 */
async function checkPlan(root: vscode.Uri, plan: MergePlan): Promise<void> {
  for (const op of plan.ops) {
    const uri = vscode.Uri.joinPath(root, op.path);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open?.isDirty) throw new AirlockError('MERGE_DIRTY', `${op.path} has unsaved changes`, 'save or revert it, then merge again');
  }
  await verifyOps(root.fsPath, plan.ops);
}

type Op = MergePlan['ops'][number];
/** One op's inputs, read before the edit is built: the bytes on disk now, the content to write, the open document. */
interface Prepared {
  op: Op;
  uri: vscode.Uri;
  before: Uint8Array | null;
  bytes?: Uint8Array;
  doc?: vscode.TextDocument;
}

async function prepare(root: vscode.Uri, op: Op, blob: (hash: string, size: number) => Promise<Uint8Array>): Promise<Prepared> {
  const uri = vscode.Uri.joinPath(root, op.path);
  const before = op.expect === null ? null : await readDisk(uri);
  // The bytes read now must still be the verified base (a change in between aborts before anything is written).
  if ((before ? sha256(before) : null) !== op.expect)
    throw new AirlockError(
      'PATCH_BASE_CHANGED',
      `${op.path} changed while the merge was being prepared; nothing was written`,
      'merge again',
    );
  if (op.type !== 'write') return { op, uri, before };
  const bytes = op.content.encoding === 'utf8' ? Buffer.from(op.content.text, 'utf8') : await blob(op.content.hash, op.content.size);
  if (sha256(bytes) !== op.newHash)
    throw new AirlockError('MERGE_CONTENT_HASH', `${op.path}: content does not match its hash`, 'the plan is corrupt; refresh the review');
  // A text replacement inside the document keeps the editor's undo stack for this file.
  const doc = before && op.content.encoding === 'utf8' ? await vscode.workspace.openTextDocument(uri) : undefined;
  return { op, uri, before, bytes, doc };
}

export async function applyPlan(
  root: vscode.Uri,
  plan: MergePlan,
  mergeId: string,
  blob: (hash: string, size: number) => Promise<Uint8Array>,
): Promise<MergeRecord> {
  const record: MergeRecord = { mergeId, setId: plan.setId, files: [] };
  const edit = new vscode.WorkspaceEdit();
  const chmods: { uri: vscode.Uri; mode: number }[] = [];
  const toSave: vscode.Uri[] = [];
  // The path checks come first (no read through a symlinked or escaping path). Then every op's reads are independent
  // (each a round trip to the workbench's file service): done together, and the edit is built in the plan's order.
  await checkPlan(root, plan);
  for (const { op, uri, before, bytes, doc } of await Promise.all(plan.ops.map((op) => prepare(root, op, blob)))) {
    const beforeText = before ? Buffer.from(before).toString('base64') : null;
    switch (op.type) {
      case 'write': {
        if (doc && op.content.encoding === 'utf8') {
          edit.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), op.content.text);
          toSave.push(uri);
        } else {
          edit.createFile(uri, { overwrite: true, contents: bytes });
        }
        chmods.push({ uri, mode: op.mode });
        record.files.push({ path: op.path, before: beforeText, afterHash: op.newHash });
        break;
      }
      case 'delete':
        edit.deleteFile(uri);
        record.files.push({ path: op.path, before: beforeText, afterHash: null });
        break;
      case 'chmod':
        chmods.push({ uri, mode: op.mode });
        break;
      default: {
        const never: never = op;
        return never;
      }
    }
  }
  if (!(await vscode.workspace.applyEdit(edit, { isRefactoring: false })))
    throw new AirlockError('MERGE_EDIT_REFUSED', 'VS Code refused the edit', 'nothing was written; check the log and try again');
  // The saves are independent too (each goes through the workbench's save participants and file service).
  await Promise.all(toSave.map((u) => vscode.workspace.textDocuments.find((d) => d.uri.toString() === u.toString())?.save()));
  // As git does (and the CLI's applier), folders the merge emptied go too: best effort, after the edit.
  for (const op of plan.ops) if (op.type === 'delete') await removeEmptiedFolders(root, op.path);
  if (chmods.length && vscode.env.remoteName === undefined) {
    const fs = await import('node:fs/promises');
    for (const c of chmods) if (c.uri.scheme === 'file') await fs.chmod(c.uri.fsPath, c.mode).catch(() => undefined);
  }
  return record;
}

async function removeEmptiedFolders(root: vscode.Uri, rel: string): Promise<void> {
  for (let d = posix.dirname(rel); d !== '.' && d !== '/'; d = posix.dirname(d)) {
    const uri = vscode.Uri.joinPath(root, d);
    try {
      if ((await vscode.workspace.fs.readDirectory(uri)).length) return;
      await vscode.workspace.fs.delete(uri, { recursive: false, useTrash: false });
    } catch {
      return;
    }
  }
}

/** Restores the files of a merge, refusing any file edited since the merge (never overwrite a person's edits). */
export async function undoMerge(root: vscode.Uri, record: MergeRecord): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  for (const f of record.files) {
    const uri = vscode.Uri.joinPath(root, f.path);
    const now = await currentHash(safeTarget(root.fsPath, f.path));
    if (now !== f.afterHash)
      throw new AirlockError(
        'MERGE_UNDO_CHANGED',
        `${f.path} changed after the merge`,
        "undo your edits to it first, or use the editor's own undo",
      );
    if (f.before === null) edit.deleteFile(uri);
    else edit.createFile(uri, { overwrite: true, contents: Buffer.from(f.before, 'base64') });
  }
  if (!(await vscode.workspace.applyEdit(edit))) throw new AirlockError('MERGE_EDIT_REFUSED', 'VS Code refused the undo edit');
}
