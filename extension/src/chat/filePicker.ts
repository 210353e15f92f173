// The composer's "@ File" button: a QuickPick of the folder's files; the chosen one is inserted as `@path`.
import * as path from 'node:path';
import * as vscode from 'vscode';

const MAX_FILES = 5000;

/** Workspace-relative path of the picked file, or undefined (cancelled, no folder). Paths with spaces cannot be mentioned. */
export async function pickContextFile(root: vscode.Uri | undefined): Promise<string | undefined> {
  if (!root) return undefined;
  const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(root, '**/*'), '**/{node_modules,.git}/**', MAX_FILES);
  const items = uris.map((u) => path.relative(root.fsPath, u.fsPath).split(path.sep).join('/'))
    .filter((p) => p && !/\s/.test(p)).sort().map((p) => ({ label: p }));
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Attach a file to the message', placeHolder: 'The file is read through the policy: a secret (.env, keys) is refused', matchOnDescription: true,
  });
  return picked?.label;
}
