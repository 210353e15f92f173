// Signals a waiting approval where the person is: the chat view's badge, a notification when the chat is hidden, the status bar.
import * as vscode from 'vscode';
import { Disposable, type Event } from '../../../protocol/src/lifecycle';
import type { ChatOp } from '../../../protocol/src/webview';
import { applyAttention, attentionBadge, attentionStatus, emptyAttention, markErrorsSeen, type PendingApproval } from './attentionModel';

export interface AttentionTarget {
  /** The chat view, once resolved (undefined until the person opened it once). */
  readonly webviewView: vscode.WebviewView | undefined;
  reveal(): Promise<void>;
}

export class AttentionMonitor extends Disposable {
  private readonly state = emptyAttention();
  private watched?: vscode.WebviewView;

  constructor(
    onOps: Event<{ sessionId: string; ops: ChatOp[] }>,
    private readonly target: AttentionTarget,
    private readonly status: (s: ReturnType<typeof attentionStatus>) => void,
  ) {
    super();
    this._register(onOps((e) => this.apply(e.sessionId, e.ops)));
  }

  private apply(sessionId: string, ops: readonly ChatOp[]): void {
    const fresh = applyAttention(this.state, sessionId, ops);
    const view = this.target.webviewView;
    this.watch(view);
    if (view) view.badge = attentionBadge(this.state);
    // An error shown in a chat on screen has been seen: the status bar goes back to the kernel's state.
    if (view?.visible) markErrorsSeen(this.state);
    this.status(attentionStatus(this.state));
    // A notification only when the chat is not on screen: there the card itself is the signal.
    if (fresh.length && !view?.visible) void this.notify(fresh[0]!);
  }

  /** Errors raised while the chat was hidden are seen when it comes on screen. */
  private watch(view: vscode.WebviewView | undefined): void {
    if (!view || view === this.watched) return;
    this.watched = view;
    this._register(
      view.onDidChangeVisibility(() => {
        if (!view.visible) return;
        markErrorsSeen(this.state);
        this.status(attentionStatus(this.state));
      }),
    );
  }

  private async notify(p: PendingApproval): Promise<void> {
    const open = 'Open Chat';
    const pick = await vscode.window.showInformationMessage(`Airlock is waiting for your approval: ${p.toolName}`, open);
    if (pick === open) await this.target.reveal();
  }
}
