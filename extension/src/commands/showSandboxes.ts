// Airlock: Show Sandboxes — focuses the Sandboxes view and refreshes it.
import * as vscode from 'vscode';
import type { SandboxesTree } from '../sandboxes/sandboxesTree';

export function showSandboxes(tree: SandboxesTree) {
  return async () => {
    tree.refresh();
    await vscode.commands.executeCommand('airlock.sandboxes.focus');
  };
}
