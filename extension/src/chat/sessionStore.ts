// Keeps chat sessions in the workspace's storage so history and the open session survive a window reload.
import type * as vscode from 'vscode';
import { interruptTask, type ChatSession } from './sessionModel';

const KEY = 'airlock.chat.sessions.v1';
const MAX_SESSIONS = 30;
const MAX_ITEMS = 5000;

export interface StoredChats {
  currentId: string | null;
  sessions: ChatSession[];
}

export class SessionStore {
  private timer?: ReturnType<typeof setTimeout>;
  constructor(private readonly memento: vscode.Memento) {}

  load(): StoredChats {
    const raw = this.memento.get<StoredChats>(KEY);
    if (!raw || !Array.isArray(raw.sessions)) return { currentId: null, sessions: [] };
    // A reload ends whatever was running in this window (the kernel cancels a task whose client went away), so its
    // prompts can no longer be answered; the kernel's audit log keeps the task's own record.
    const sessions = raw.sessions.map((s) => {
      if (s.running) interruptTask(s, 'the window reloaded while it ran (the kernel cancels a task whose window went away)', s.updatedAt);
      return {
        ...s,
        running: false,
        streamingId: undefined,
        items: s.items.map((i) =>
          i.type === 'approval' && i.state === 'pending'
            ? { ...i, state: 'expired' as const }
            : i.type === 'assistant' && i.streaming
              ? { ...i, streaming: false }
              : i,
        ),
      };
    });
    return { currentId: raw.currentId, sessions };
  }

  /** Debounced: streaming fires many small changes; `delayMs` 0 saves now (a task started or ended, an answer). */
  save(state: () => StoredChats, delayMs = 500): void {
    if (delayMs === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      void this.flush(state());
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush(state());
    }, delayMs);
  }

  flush(state: StoredChats): Thenable<void> {
    const sessions = [...state.sessions]
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .slice(0, MAX_SESSIONS)
      .map((s) => ({ ...s, items: s.items.slice(-MAX_ITEMS) }));
    return this.memento.update(KEY, { currentId: state.currentId, sessions });
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
