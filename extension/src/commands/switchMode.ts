// Airlock: Switch Mode — strict / explore / debug for the current chat session's next task.
import * as vscode from 'vscode';
import { AgentMode } from '../../../protocol/src/agent';
import type { ChatController } from '../chat/chatController';

const DESCRIPTIONS: Record<AgentMode, string> = {
  strict: 'test-first: a failing test before implementation edits, review before merge',
  explore: 'free edits in the sandbox; nothing merges without review',
  debug: 'reproduce → hypothesise → instrument → fix → verify; instrumentation removed before merge',
};

export function switchMode(chat: ChatController) {
  return async (mode?: string): Promise<void> => {
    const parsed = AgentMode.safeParse(mode);
    const pick = parsed.success
      ? parsed.data
      : ((
          await vscode.window.showQuickPick(
            AgentMode.options.map((m) => ({ label: m, description: m === chat.session.mode ? '(current)' : '', detail: DESCRIPTIONS[m] })),
            { title: 'Airlock: Switch Mode' },
          )
        )?.label as AgentMode | undefined);
    if (pick) chat.setMode(pick);
  };
}
