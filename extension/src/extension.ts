// Extension entry: composition only. The kernel starts in the background so activation stays fast.
import * as vscode from 'vscode';
import { DisposableStore, toDisposable } from '../../protocol/src/lifecycle';
import { showKernelStatus } from './commands/showKernelStatus';
import { showProvenance } from './commands/showProvenance';
import { KernelService } from './kernel/kernelService';
import { ImagePreparer } from './kernel/imagePreparer';
import { watchSandboxHealth } from './kernel/sandboxHealth';
import { prepareImagesCommand } from './commands/prepareImages';
import { AttentionMonitor } from './attention/attention';
import { NO_BADGE } from './attention/attentionModel';
import { ChatViewProvider } from './chat/chatViewProvider';
import { KernelStatusBar } from './kernel/statusBar';
import { forwardApiKeys } from './providerKeys';
import { serveLanguageModels } from './lm/lmService';
import { forwardPoolSizes } from './chat/poolSettings';
import { forwardMcpServers } from './mcp/forwardServers';
import { offerToVsCodeAgents } from './mcp/offerToAgents';
import { vscodeMcpHost } from './mcp/vscodeMcpHost';
import { showStorageWarnings } from './audit/storageWarnings';
import { registerBaseUi, registerUi, type UiHandle } from './ui';
import { diskFolders, knownFolder, pickFolder } from './workspaceFolder';

const UNTRUSTED = 'Airlock stays disabled in untrusted workspaces: it runs containers on your behalf. Trust this workspace to use it.';
const NO_FOLDER = 'Airlock needs a folder on disk: open a folder first.';
const PICK_FOLDER = 'This workspace has several folders: pick the one Airlock works on (Airlock: Select Folder).';

export interface AirlockApi {
  kernel?: KernelService;
  folder?: vscode.WorkspaceFolder;
  /** The chat and review controllers of the current folder (for extension-host tests; not a stable API). */
  ui?: Omit<UiHandle, 'dispose'>;
  /** How long activate() took, start to return, in this extension host (bench/ui.ts reads it from the log). */
  activationMs: number;
}

export function activate(context: vscode.ExtensionContext): AirlockApi {
  const t0 = performance.now();
  const store = new DisposableStore();
  context.subscriptions.push(toDisposable(() => store.dispose()));
  const log = vscode.window.createOutputChannel('Airlock', { log: true });
  store.add(toDisposable(() => log.dispose()));
  const status = store.add(new KernelStatusBar());
  store.add(registerCommand('airlock.showLogs', () => log.show()));
  let folderPath: string | undefined;
  const images = store.add(
    new ImagePreparer(
      log,
      (s) => status.updateImages(s),
      () => folderPath,
    ),
  );
  store.add(registerCommand('airlock.prepareImages', prepareImagesCommand(images)));
  store.add(registerBaseUi(context, log));
  const api: AirlockApi = { activationMs: 0 };
  /** Everything that depends on the chosen folder; replaced when the person picks another folder. */
  let scope: DisposableStore | undefined;

  const enableWith = (folder: vscode.WorkspaceFolder | undefined, unavailable?: string) => {
    if (scope) {
      scope.dispose();
      store.delete(scope);
    }
    scope = store.add(new DisposableStore());
    api.kernel = undefined;
    api.ui = undefined;
    api.folder = folder;
    folderPath = folder?.uri.fsPath;
    if (!folder) {
      status.update({ type: 'idle' });
      scope.add(registerCommand('airlock.showKernelStatus', () => vscode.window.showWarningMessage(unavailable ?? NO_FOLDER)));
      scope.add(registerCommand('airlock.restartKernel', () => vscode.window.showWarningMessage(unavailable ?? NO_FOLDER)));
      scope.add(registerUi(context, undefined, undefined, log, unavailable ?? NO_FOLDER));
      return;
    }
    const kernel = scope.add(new KernelService(folder.uri.fsPath, log));
    api.kernel = kernel;
    scope.add(kernel.onDidChangeState((s) => status.update(s)));
    scope.add(
      watchSandboxHealth(
        kernel,
        log,
        (checks, client) => {
          status.updateSandbox(checks);
          images.onChecks(client, checks); // first use: a missing sandbox image is prepared here, with progress
        },
        images.onDidPrepare,
      ),
    );
    scope.add(registerCommand('airlock.showKernelStatus', showKernelStatus(kernel, log)));
    scope.add(registerCommand('airlock.restartKernel', () => kernel.restart()));
    scope.add(registerCommand('airlock.showProvenance', showProvenance(kernel, folder.uri, log)));
    scope.add(forwardApiKeys(kernel, context.secrets, log));
    scope.add(serveLanguageModels(kernel, log));
    scope.add(forwardPoolSizes(kernel, log));
    scope.add(forwardMcpServers(kernel, log));
    scope.add(offerToVsCodeAgents(vscodeMcpHost(context), folder.uri.fsPath, log)); // Copilot agent mode runs Airlock's tools
    scope.add(showStorageWarnings(kernel, log));
    api.ui = scope.add(registerUi(context, kernel, folder.uri, log));
    // A pending approval is signalled where the person is: the chat's badge, a notification when it is hidden, the status bar.
    const chatView = ChatViewProvider.shared(context, log);
    scope.add(new AttentionMonitor(api.ui.chat.onOps, chatView, (a) => status.updateAttention(a)));
    scope.add({
      dispose: () => {
        status.updateAttention({ kind: 'idle', text: '', tooltip: '' });
        if (chatView.webviewView) chatView.webviewView.badge = NO_BADGE;
      },
    });
    log.info(`working on folder ${folder.uri.fsPath}`);
    void kernel.start().catch(() => undefined); // Failures are shown by the status bar and the log.
  };

  const choose = async (ask: boolean) => {
    const folder = ask ? await pickFolder(context.workspaceState) : knownFolder(context.workspaceState);
    if (folder && folder.uri.toString() !== api.folder?.uri.toString()) enableWith(folder);
    return folder?.uri.fsPath;
  };

  const enable = () => {
    const folders = diskFolders();
    const folder = knownFolder(context.workspaceState, folders);
    if (folder || folders.length === 0) {
      enableWith(folder);
      return;
    }
    // Multi-root without a remembered pick: the views explain, and the person is asked once, now.
    enableWith(undefined, PICK_FOLDER);
    void choose(true);
  };

  if (vscode.workspace.isTrusted) {
    store.add(registerCommand('airlock.selectFolder', () => choose(true)));
    enable();
  } else {
    status.update({ type: 'untrusted' });
    const untrusted = new DisposableStore();
    store.add(untrusted);
    for (const id of ['airlock.showKernelStatus', 'airlock.restartKernel', 'airlock.selectFolder'])
      untrusted.add(registerCommand(id, () => vscode.window.showWarningMessage(UNTRUSTED)));
    untrusted.add(registerUi(context, undefined, undefined, log, UNTRUSTED));
    log.info(UNTRUSTED);
    store.add(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        untrusted.dispose();
        store.delete(untrusted);
        store.add(registerCommand('airlock.selectFolder', () => choose(true)));
        enable();
      }),
    );
  }
  // A removed folder can no longer be Airlock's: ask again (or fall back to the single remaining folder).
  store.add(
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      if (!vscode.workspace.isTrusted) return;
      if (api.folder && !diskFolders().some((f) => f.uri.toString() === api.folder!.uri.toString())) enable();
      else if (!api.folder) enable();
    }),
  );
  api.activationMs = performance.now() - t0;
  log.info(`activated in ${api.activationMs.toFixed(2)} ms`);
  return api;
}

function registerCommand(id: string, fn: (...args: never[]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, fn);
}

export function deactivate(): void {}
