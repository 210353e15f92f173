// Which workspace folder Airlock works on: the only folder on disk, or the one the person picked (remembered per workspace).
import * as vscode from 'vscode';

const KEY = 'airlock.folder.v1';

/** Folders on disk: Airlock mounts one of them into the kernel, so virtual (non-`file:`) folders never qualify. */
export function diskFolders(): readonly vscode.WorkspaceFolder[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
}

/** The folder to use without asking: the single folder on disk, or the remembered pick if it is still open. */
export function knownFolder(memento: vscode.Memento, folders = diskFolders()): vscode.WorkspaceFolder | undefined {
  if (folders.length === 1) return folders[0];
  const saved = memento.get<string>(KEY);
  return saved ? folders.find((f) => f.uri.toString() === saved) : undefined;
}

/** Asks which folder Airlock should work on (multi-root) and remembers the answer for this workspace. */
export async function pickFolder(memento: vscode.Memento, folders = diskFolders()): Promise<vscode.WorkspaceFolder | undefined> {
  if (folders.length === 0) return undefined;
  const current = knownFolder(memento, folders);
  const pick =
    folders.length === 1
      ? { folder: folders[0]! }
      : await vscode.window.showQuickPick(
          folders.map((folder) => ({
            label: folder.name,
            description: folder.uri.fsPath,
            detail: folder === current ? 'current Airlock folder' : undefined,
            folder,
          })),
          {
            title: 'Airlock: Select Folder',
            placeHolder: 'Which folder should Airlock work on? Its sandboxes see this folder read-only; patches are merged into it.',
            ignoreFocusOut: true,
          },
        );
  if (!pick) return undefined;
  await memento.update(KEY, pick.folder.uri.toString());
  return pick.folder;
}
