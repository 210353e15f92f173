// Copy and Insert on the chat's code blocks: the clipboard, or the active editor at its cursor (an unsaved edit).
import * as vscode from 'vscode';
import { AirlockError } from '../../../protocol/src/errors';

/** Insert replaces the selection of the active editor like a paste: the person sees it, saves it or undoes it. */
export async function codeAction(action: 'copy' | 'insert', text: string): Promise<void> {
  if (action === 'copy') {
    await vscode.env.clipboard.writeText(text);
    vscode.window.setStatusBarMessage('Airlock: code copied', 2000);
    return;
  }
  const ed = vscode.window.activeTextEditor;
  if (!ed)
    throw new AirlockError(
      'CHAT_NO_EDITOR',
      'no editor is open to insert the code into',
      'open a file, put the cursor where the code goes, then Insert',
    );
  const ok = await ed.edit((b) => {
    for (const s of ed.selections) b.replace(s, text);
  });
  if (!ok)
    throw new AirlockError(
      'CHAT_INSERT_FAILED',
      `the code could not be inserted into ${vscode.workspace.asRelativePath(ed.document.uri)}`,
      'the editor may be read-only',
    );
}
