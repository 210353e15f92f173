// Airlock: Show Provenance — where the current line came from: patch set, hunk, review decision, sandbox, tool call and
// model turn (the kernel's audit/blame), opened as a read-only text document beside the editor.
import * as vscode from 'vscode';
import { formatError } from '../../../protocol/src/errors';
import { describeProvenance } from '../../../protocol/src/provenance-text';
import type { KernelService } from '../kernel/kernelService';

export function showProvenance(kernel: KernelService, folder: vscode.Uri, log: vscode.LogOutputChannel) {
  return async (): Promise<void> => {
    const ed = vscode.window.activeTextEditor;
    if (!ed || ed.document.uri.scheme !== 'file' || !ed.document.uri.fsPath.startsWith(`${folder.fsPath}/`)) {
      void vscode.window.showWarningMessage('Open a file of the Airlock folder and put the cursor on a line.');
      return;
    }
    try {
      const path = ed.document.uri.fsPath
        .slice(folder.fsPath.length + 1)
        .split('\\')
        .join('/');
      const { lines } = await (await kernel.client()).request('audit/blame', { path, line: ed.selection.active.line + 1 });
      const doc = await vscode.workspace.openTextDocument({
        content: [...describeProvenance(lines[0]), ''].join('\n'),
        language: 'plaintext',
      });
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
    } catch (err) {
      log.error(formatError(err));
      void vscode.window.showErrorMessage(`Could not show the provenance of this line. ${formatError(err)}`);
    }
  };
}
