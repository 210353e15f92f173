// The chat webview view (own Activity Bar container, movable to the secondary side bar) wired to the ChatController.
import * as vscode from 'vscode';
import { formatError } from '../../../protocol/src/errors';
import { DisposableStore, type IDisposable, toDisposable } from '../../../protocol/src/lifecycle';
import type { SetupAnswer, WebviewToHost } from '../../../protocol/src/webview';
import { WebviewBridge } from '../webview/bridge';
import { renderHtml, webviewOptions } from '../webview/html';
import type { ChatController } from './chatController';
import { codeAction } from './codeActions';

export const CHAT_VIEW_ID = 'airlock.chat';

/** What the view talks to: the current folder's chat, and how to open a patch set's review. */
interface Target {
  chat: ChatController;
  openPatchSet: (setId: string) => unknown;
  saveSetup: (a: SetupAnswer) => Promise<void>;
}

/**
 * One provider for the extension's lifetime, registered once. VS Code resolves a webview view once: a provider
 * registered again (after workspace trust is granted, or another folder is picked) would never be asked for the view
 * already on screen, which would keep showing the old controller until a window reload. So the controllers change
 * (`attach`), the view stays and is re-wired.
 */
export class ChatViewProvider implements vscode.WebviewViewProvider {
  private static instance?: ChatViewProvider;
  private view?: vscode.WebviewView;
  private bridge?: WebviewBridge;
  private viewStore = new DisposableStore();
  private wiring = new DisposableStore();
  private target?: Target;

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The extension's provider, registered on first use and unregistered when the extension deactivates. */
  static shared(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): ChatViewProvider {
    if (!ChatViewProvider.instance) {
      const p = new ChatViewProvider(context.extensionUri, log);
      ChatViewProvider.instance = p;
      const registration = vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, p, {
        webviewOptions: { retainContextWhenHidden: false },
      });
      context.subscriptions.push(registration, {
        dispose: () => {
          p.viewStore.dispose();
          p.wiring.dispose();
          if (ChatViewProvider.instance === p) ChatViewProvider.instance = undefined;
        },
      });
    }
    return ChatViewProvider.instance;
  }

  /** Points the view at `chat` (a view on screen gets its snapshot at once); disposing it detaches. */
  attach(chat: ChatController, openPatchSet: (setId: string) => unknown, saveSetup: (a: SetupAnswer) => Promise<void>): IDisposable {
    const target = { chat, openPatchSet, saveSetup };
    this.target = target;
    this.rewire();
    return toDisposable(() => {
      if (this.target === target) {
        this.target = undefined;
        this.wiring.dispose();
      }
    });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.viewStore.dispose();
    this.viewStore = new DisposableStore();
    this.view = view;
    view.webview.options = webviewOptions(this.extensionUri);
    const bridge = this.viewStore.add(new WebviewBridge(view.webview, 'chat', this.log));
    this.bridge = bridge;
    view.webview.html = renderHtml(view.webview, this.extensionUri, 'chat', 'Airlock Chat');
    this.viewStore.add(bridge.onReady(() => this.postSnapshot()));
    this.viewStore.add(bridge.onMessage((m) => void this.handle(m)));
    this.viewStore.add(
      view.onDidDispose(() => {
        this.viewStore.dispose();
        this.wiring.dispose();
        this.view = undefined;
        this.bridge = undefined;
      }),
    );
    this.rewire();
  }

  /** Reveals the chat view (Open Chat). */
  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    // VS Code focuses the view's frame, not a control in it: the composer takes the keyboard (queued until ready).
    this.bridge?.post({ type: 'chat/focus' });
  }

  /** The chat view once VS Code resolved it (the attention badge and "is the chat on screen" read it). */
  get webviewView(): vscode.WebviewView | undefined {
    return this.view;
  }

  /** The current controller's snapshots and ops go to the current view. */
  private rewire(): void {
    this.wiring.dispose();
    this.wiring = new DisposableStore();
    const t = this.target;
    const bridge = this.bridge;
    if (!t || !bridge) return;
    this.wiring.add(t.chat.onSnapshot(() => this.postSnapshot()));
    this.wiring.add(
      t.chat.onOps(({ sessionId, ops, sentAt }) => {
        if (sessionId === t.chat.session.id) bridge.post({ type: 'chat/ops', sessionId, ops, sentAt });
      }),
    );
    this.postSnapshot();
  }

  private postSnapshot(): void {
    if (this.target && this.bridge) this.bridge.post({ type: 'chat/snapshot', snapshot: this.target.chat.snapshot() });
  }

  private async handle(m: WebviewToHost): Promise<void> {
    const t = this.target;
    try {
      if (!t) {
        this.log.warn(`chat view: no chat to handle ${m.type} (the folder is changing)`);
        return;
      }
      switch (m.type) {
        case 'chat/send':
          await t.chat.submit(m.text, m.images);
          break;
        case 'chat/stop':
          await t.chat.stop();
          break;
        case 'chat/retry':
          await t.chat.retry();
          break;
        case 'chat/new':
          t.chat.newSession();
          break;
        case 'chat/openSession':
          t.chat.openSession(m.sessionId);
          break;
        case 'chat/approve':
          await t.chat.approve(m.requestId, m.answer, m.note);
          break;
        case 'chat/setMode':
          t.chat.setMode(m.mode);
          break;
        case 'chat/openPatchSet':
          await t.openPatchSet(m.setId);
          break;
        case 'chat/mergePatchSet':
          await vscode.commands.executeCommand('airlock.mergePatchSet', m.setId);
          break;
        case 'chat/openApprovalDiff':
          await t.chat.openApprovalDiff(m.requestId);
          break;
        case 'chat/draft':
          t.chat.setDraft(m.sessionId, m.text);
          break;
        case 'chat/rewind':
          await t.chat.rewind(m.itemId);
          break;
        case 'chat/code':
          await codeAction(m.action, m.text);
          break;
        case 'chat/completeFile':
          this.bridge?.post({ type: 'chat/fileSuggestions', requestId: m.requestId, paths: await t.chat.suggestFiles(m.query) });
          break;
        case 'chat/pickFile': {
          const picked = await t.chat.pickFile();
          if (picked) this.bridge?.post({ type: 'chat/insert', text: `@${picked} ` });
          break;
        }
        case 'chat/setup':
          await t.saveSetup(m.answer);
          break;
        case 'chat/tryRecorded':
          await t.chat.tryRecorded();
          break;
        case 'ready':
        case 'audit/query':
        case 'audit/verify':
        case 'audit/entry':
        case 'audit/refresh':
          this.log.warn(`chat view ignored ${m.type}`);
          break;
        default: {
          const never: never = m;
          return never;
        }
      }
    } catch (err) {
      this.log.error(formatError(err));
      const e = err as { code?: string; message?: string; hint?: string };
      this.bridge?.post({ type: 'error', error: { code: e.code ?? 'INTERNAL', message: e.message ?? String(err), hint: e.hint } });
    }
  }
}
