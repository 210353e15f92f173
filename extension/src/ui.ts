// Registers every Airlock view and command (called from extension.ts once the workspace is trusted and has a folder).
import * as vscode from 'vscode';
import { DisposableStore, type IDisposable } from '../../protocol/src/lifecycle';
import { formatError } from '../../protocol/src/errors';
import { AuditViewProvider, LEGACY_AUDIT_PANEL_TYPE, LegacyAuditPanelCloser } from './audit/auditView';
import { ChatController } from './chat/chatController';
import { ChatViewProvider } from './chat/chatViewProvider';
import { saveSetup, watchSetup } from './chat/onboarding';
import { registerParticipant } from './chat/participant';
import { checkRuntime } from './commands/checkRuntime';
import { openAuditLog } from './commands/openAuditLog';
import { openChat } from './commands/openChat';
import { selectModel } from './commands/selectModel';
import { setApiKey } from './commands/setApiKey';
import { showSandboxes } from './commands/showSandboxes';
import { startTask } from './commands/startTask';
import { switchMode } from './commands/switchMode';
import { verifyAuditLog } from './commands/verifyAuditLog';
import type { KernelService } from './kernel/kernelService';
import { ReviewController } from './review/reviewController';
import { SandboxesTree } from './sandboxes/sandboxesTree';
import { TasksTree } from './tasks/tasksTree';
import { PluginsTree } from './plugins/pluginsTree';

/** Commands that work without a kernel (settings, secrets, runtime check): registered at activation in every workspace. */
export function registerBaseUi(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): DisposableStore {
  const store = new DisposableStore();
  const reg = (id: string, fn: (...a: never[]) => unknown) => store.add(vscode.commands.registerCommand(id, fn));
  reg('airlock.setApiKey', setApiKey(context.secrets));
  reg('airlock.selectModel', selectModel());
  reg('airlock.checkRuntime', checkRuntime(log));
  return store;
}

/** What registerUi built: disposed as one; the controllers are exposed to extension-host tests through the API. */
export interface UiHandle extends IDisposable {
  chat: ChatController;
  review: ReviewController;
}

/** Views and kernel-backed commands; `kernel` is undefined when Airlock cannot run here (the views say why). */
export function registerUi(
  context: vscode.ExtensionContext,
  kernel: KernelService | undefined,
  root: vscode.Uri | undefined,
  log: vscode.LogOutputChannel,
  unavailable: string | null = null,
): UiHandle {
  const store = new DisposableStore();
  const reg = (id: string, fn: (...a: never[]) => unknown) => store.add(vscode.commands.registerCommand(id, fn));
  const uri = context.extensionUri;
  const review = store.add(new ReviewController(kernel, root, context.workspaceState, log));
  const chat = store.add(
    new ChatController(
      kernel,
      context.workspaceState,
      log,
      unavailable,
      (setId) => review.summary(setId),
      root,
      context.storageUri?.scheme === 'file' ? context.storageUri.fsPath : undefined,
    ),
  );
  store.add(chat.onPatchSet((d) => void review.onPatchesReady(d)));
  // A merge, undo or decision in review moves the set's card in the chat (merged / partly merged / rejected).
  store.add(review.onDidChangeStatus((e) => void chat.patchSetChanged(e.setId).catch((err) => log.warn(formatError(err)))));
  // Registered once per extension: re-registering would leave a view already on screen with the old controller.
  const provider = ChatViewProvider.shared(context, log);
  store.add(
    provider.attach(
      chat,
      (setId) => review.openSet(setId),
      async (answer) => {
        const here = await saveSetup(answer, vscode.workspace.getConfiguration('airlock'), context.secrets);
        log.info(`the chat's setup saved: ${answer.provider} (user settings; key in secret storage)`);
        chat.setupSaved(answer.provider, here);
      },
    ),
  );
  // The chat's first-run form shows while no model can run a task (no provider, no key, no base URL).
  if (kernel) store.add(watchSetup(context.secrets, (setup) => chat.setSetup(setup)));
  store.add(vscode.window.registerWebviewPanelSerializer(LEGACY_AUDIT_PANEL_TYPE, new LegacyAuditPanelCloser()));
  const audit = AuditViewProvider.shared(context, log);
  store.add(audit.attach(kernel));
  const sandboxes = store.add(new SandboxesTree(kernel, log));
  store.add(new TasksTree(kernel, log));
  store.add(new PluginsTree(kernel, root?.fsPath, log));
  reg('airlock.openChat', openChat(provider));
  reg(
    'airlock.startTask',
    startTask(chat, () => provider.reveal()),
  );
  reg('airlock.newChatSession', () => chat.newSession());
  reg('airlock.stopTask', () => chat.stop());
  reg('airlock.switchMode', switchMode(chat));
  reg('airlock.openAuditLog', openAuditLog(audit));
  reg('airlock.verifyAuditLog', verifyAuditLog(audit, kernel, log));
  reg('airlock.showSandboxes', showSandboxes(sandboxes));
  reg('airlock.refreshSandboxes', () => sandboxes.refresh());
  const participant = registerParticipant(chat, uri);
  if (participant) store.add(participant);
  return { chat, review, dispose: () => store.dispose() };
}
