// Airlock: Start Task — asks for a prompt, opens the chat and starts the task there.
import * as vscode from 'vscode';
import type { ChatController } from '../chat/chatController';

export function startTask(chat: ChatController, openChat: () => Promise<void>) {
  return async (prompt?: string): Promise<string | undefined> => {
    const text = typeof prompt === 'string' && prompt ? prompt : await vscode.window.showInputBox({ title: 'Airlock: Start Task', prompt: `Describe the task (mode: ${chat.session.mode})`, ignoreFocusOut: true });
    if (!text?.trim()) return undefined;
    await openChat();
    return chat.send(text.trim());
  };
}
