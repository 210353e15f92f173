// The composer's "@ File" button: a QuickPick of the folder's files; the chosen one is inserted as `@path`.
import * as path from 'node:path';
import * as vscode from 'vscode';

const MAX_FILES = 5000;

const cache = new Map<string, { at: number; files: Promise<string[]> }>();

/** The folder's files as mentionable paths (no spaces), sorted; listed again after 30 s. */
export function contextFiles(root: vscode.Uri): Promise<string[]> {
  const hit = cache.get(root.fsPath);
  if (hit && Date.now() - hit.at < 30_000) return hit.files;
  const files = Promise.resolve(
    vscode.workspace.findFiles(new vscode.RelativePattern(root, '**/*'), '**/{node_modules,.git}/**', MAX_FILES),
  ).then((uris) =>
    uris
      .map((u) => path.relative(root.fsPath, u.fsPath).split(path.sep).join('/'))
      .filter((p) => p && !/\s/.test(p))
      .sort(),
  );
  cache.set(root.fsPath, { at: Date.now(), files });
  return files;
}

/** The completion list while `@query` is typed: paths containing the query (case-insensitive), the shortest first. */
export async function suggestContextFiles(root: vscode.Uri | undefined, query: string): Promise<string[]> {
  if (!root) return [];
  const q = query.toLowerCase();
  return (await contextFiles(root))
    .filter((p) => p.toLowerCase().includes(q))
    .sort((a, b) => a.length - b.length)
    .slice(0, 20);
}

/** Workspace-relative path of the picked file, or undefined (cancelled, no folder). Paths with spaces cannot be mentioned. */
export async function pickContextFile(root: vscode.Uri | undefined): Promise<string | undefined> {
  if (!root) return undefined;
  const items = (await contextFiles(root)).map((p) => ({ label: p }));
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Attach a file to the message',
    placeHolder: 'The file is read through the policy: a secret (.env, keys) is refused',
    matchOnDescription: true,
  });
  return picked?.label;
}
