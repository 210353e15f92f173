// Extension entry: composition only. The kernel starts in the background so activation stays fast.
import * as vscode from 'vscode';
import { DisposableStore, toDisposable } from '../../protocol/src/lifecycle';
import { showKernelStatus } from './commands/showKernelStatus';
import { KernelService } from './kernel/kernelService';
import { KernelStatusBar } from './kernel/statusBar';
import { registerBaseUi, registerUi } from './ui';

const UNTRUSTED = 'Airlock stays disabled in untrusted workspaces: it runs containers on your behalf. Trust this workspace to use it.';

export function activate(context: vscode.ExtensionContext): { kernel?: KernelService } {
  const store = new DisposableStore();
  context.subscriptions.push(toDisposable(() => store.dispose()));
  const log = vscode.window.createOutputChannel('Airlock', { log: true });
  store.add(toDisposable(() => log.dispose()));
  const status = store.add(new KernelStatusBar());
  store.add(registerCommand('airlock.showLogs', () => log.show()));
  store.add(registerBaseUi(context, log));
  const api: { kernel?: KernelService } = {};

  const enable = () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder || folder.uri.scheme !== 'file') {
      store.add(registerCommand('airlock.showKernelStatus', () => vscode.window.showWarningMessage('Airlock needs a folder on disk: open a folder first.')));
      store.add(registerUi(context, undefined, log, 'Airlock needs a folder on disk: open a folder first.'));
      return;
    }
    const kernel = store.add(new KernelService(folder.uri.fsPath, log));
    api.kernel = kernel;
    store.add(kernel.onDidChangeState((s) => status.update(s)));
    store.add(registerCommand('airlock.showKernelStatus', showKernelStatus(kernel, log)));
    store.add(registerCommand('airlock.restartKernel', () => kernel.restart()));
    store.add(registerUi(context, kernel, log));
    void kernel.start().catch(() => undefined); // Failures are shown by the status bar and the log.
  };

  if (vscode.workspace.isTrusted) {
    enable();
  } else {
    status.update({ type: 'untrusted' });
    const explain = registerCommand('airlock.showKernelStatus', () => vscode.window.showWarningMessage(UNTRUSTED));
    store.add(explain);
    const ui = store.add(registerUi(context, undefined, log, UNTRUSTED));
    log.info(UNTRUSTED);
    store.add(vscode.workspace.onDidGrantWorkspaceTrust(() => { explain.dispose(); store.delete(explain); ui.dispose(); store.delete(ui); enable(); }));
  }
  return api;
}

function registerCommand(id: string, fn: (...args: never[]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, fn);
}

export function deactivate(): void {}
