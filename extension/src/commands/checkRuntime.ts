// Airlock: Check Container Runtime — the walkthrough's first step: finds Docker or Podman and says which.
import * as vscode from 'vscode';
import { detectEngine } from '../../../bootstrap';

export function checkRuntime(log: vscode.LogOutputChannel) {
  return async (): Promise<boolean> => {
    const runtime = vscode.workspace.getConfiguration('airlock').get<'auto' | 'docker' | 'podman'>('containerRuntime', 'auto');
    try {
      const engine = await detectEngine({ runtime });
      const text = `Airlock found ${engine.kind} ${engine.version}.`;
      log.info(text);
      void vscode.window.showInformationMessage(text);
      return true;
    } catch (err) {
      const e = err as { message?: string; hint?: string };
      void vscode.window.showErrorMessage(`No container runtime: ${e.message ?? String(err)}${e.hint ? ` — ${e.hint}` : ''}`);
      return false;
    }
  };
}
