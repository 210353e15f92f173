// The chat webview view (own Activity Bar container, movable to the secondary side bar) wired to the ChatController.
import * as vscode from 'vscode';
import { formatError } from '../../../protocol/src/errors';
import { DisposableStore } from '../../../protocol/src/lifecycle';
import type { WebviewToHost } from '../../../protocol/src/webview';
import { WebviewBridge } from '../webview/bridge';
import { renderHtml, webviewOptions } from '../webview/html';
import type { ChatController } from './chatController';

export const CHAT_VIEW_ID = 'airlock.chat';

export class ChatViewProvider implements vscode.WebviewViewProvider {
  private view?: vscode.WebviewView;
  private bridge?: WebviewBridge;
  private viewStore = new DisposableStore();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly chat: ChatController,
    private readonly log: vscode.LogOutputChannel,
    private readonly openPatchSet: (setId: string) => unknown,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.viewStore.dispose();
    this.viewStore = new DisposableStore();
    this.view = view;
    view.webview.options = webviewOptions(this.extensionUri);
    const bridge = this.viewStore.add(new WebviewBridge(view.webview, 'chat', this.log));
    this.bridge = bridge;
    view.webview.html = renderHtml(view.webview, this.extensionUri, 'chat', 'Airlock Chat');
    this.viewStore.add(bridge.onReady(() => bridge.post({ type: 'chat/snapshot', snapshot: this.chat.snapshot() })));
    this.viewStore.add(bridge.onMessage((m) => void this.handle(m)));
    this.viewStore.add(this.chat.onSnapshot(() => bridge.post({ type: 'chat/snapshot', snapshot: this.chat.snapshot() })));
    this.viewStore.add(this.chat.onOps(({ sessionId, ops, sentAt }) => {
      if (sessionId === this.chat.session.id) bridge.post({ type: 'chat/ops', sessionId, ops, sentAt });
    }));
    this.viewStore.add(view.onDidDispose(() => { this.viewStore.dispose(); this.view = undefined; this.bridge = undefined; }));
  }

  /** Reveals the chat view (Open Chat). */
  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
  }

  private async handle(m: WebviewToHost): Promise<void> {
    try {
      switch (m.type) {
        case 'chat/send': await this.chat.send(m.text); break;
        case 'chat/stop': await this.chat.stop(); break;
        case 'chat/retry': await this.chat.retry(); break;
        case 'chat/new': this.chat.newSession(); break;
        case 'chat/openSession': this.chat.openSession(m.sessionId); break;
        case 'chat/approve': await this.chat.approve(m.requestId, m.answer, m.note); break;
        case 'chat/setMode': this.chat.setMode(m.mode); break;
        case 'chat/openPatchSet': await this.openPatchSet(m.setId); break;
        case 'chat/openApprovalDiff': await this.chat.openApprovalDiff(m.requestId); break;
        case 'ready': case 'audit/query': case 'audit/verify': case 'audit/entry': case 'audit/refresh':
          this.log.warn(`chat view ignored ${m.type}`);
          break;
        default: { const never: never = m; return never; }
      }
    } catch (err) {
      this.log.error(formatError(err));
      const e = err as { code?: string; message?: string; hint?: string };
      this.bridge?.post({ type: 'error', error: { code: e.code ?? 'INTERNAL', message: e.message ?? String(err), hint: e.hint } });
    }
  }
}
