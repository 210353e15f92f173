// Airlock: Start Task — asks for a prompt, opens the chat and starts the task there.
import * as vscode from 'vscode';
import type { ChatController } from '../chat/chatController';

export function startTask(chat: ChatController, openChat: () => Promise<void>) {
  return async (prompt?: string): Promise<string | undefined> => {
    const text =
      typeof prompt === 'string' && prompt
        ? prompt
        : await vscode.window.showInputBox({
            title: 'Airlock: Start Task',
            prompt: `Describe the task (mode: ${chat.session.mode})`,
            ignoreFocusOut: true,
          });
    if (!text?.trim()) return undefined;
    await openChat();
    // First run: the chat's form asks for a model; the prompt waits in the composer instead of failing.
    if (chat.setupPending) {
      chat.keepDraft(text.trim());
      return undefined;
    }
    if (typeof prompt === 'string' && prompt) return chat.send(text.trim()); // a caller (tests, other extensions) gets the error
    // From the palette the chat shows what went wrong (with the form's way out), not a generic error dialog.
    return chat.send(text.trim()).catch(() => undefined);
  };
}
