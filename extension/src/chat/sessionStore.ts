// Keeps chat sessions in the workspace's storage so history and the open session survive a window reload.
import * as fs from 'node:fs';
import * as path from 'node:path';
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
  /** An urgent save waiting for the end of this turn of the event loop, and the state it will write. */
  private soon?: { handle: ReturnType<typeof setImmediate>; state: () => StoredChats };
  /**
   * `dir`: the extension's storage folder for this workspace (context.storageUri) when it is on this machine. The
   * sessions are written there synchronously: VS Code's own storage reaches disk later, and a web window (code-server)
   * reloaded right after a task ended lost its last changes.
   */
  constructor(
    private readonly memento: vscode.Memento,
    private readonly dir?: string,
  ) {}

  private get file(): string | undefined {
    return this.dir ? path.join(this.dir, 'chat-sessions.json') : undefined;
  }

  private read(): StoredChats | undefined {
    const f = this.file;
    if (f) {
      try {
        return JSON.parse(fs.readFileSync(f, 'utf8')) as StoredChats;
      } catch {
        // Absent (first run, or sessions kept only in VS Code's storage before) or unreadable: VS Code's copy.
      }
    }
    return this.memento.get<StoredChats>(KEY);
  }

  load(): StoredChats {
    const raw = this.read();
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

  /**
   * Debounced: streaming fires many small changes; `delayMs` 0 saves as soon as this turn of the event loop is over (a
   * task started or ended, an answer): what the same turn still sends goes first (the Send's task/start, an event
   * already read) rather than waiting behind a synchronous write of every session, and a burst is written once.
   */
  save(state: () => StoredChats, delayMs = 500): void {
    if (delayMs === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      if (this.soon) return;
      const handle = setImmediate(() => {
        this.soon = undefined;
        void this.flush(state());
      });
      this.soon = { handle, state };
      return;
    }
    if (this.timer || this.soon) return;
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
    const data: StoredChats = { currentId: state.currentId, sessions };
    const f = this.file;
    if (f) {
      try {
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(`${f}.tmp`, JSON.stringify(data));
        fs.renameSync(`${f}.tmp`, f);
      } catch {
        // VS Code's storage below still keeps them.
      }
    }
    return this.memento.update(KEY, data);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    // An urgent save still waiting is written now: it was promised to survive a reload.
    const soon = this.soon;
    this.soon = undefined;
    if (soon) {
      clearImmediate(soon.handle);
      void this.flush(soon.state());
    }
  }
}
