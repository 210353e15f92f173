// Host side of the webview protocol: validates what the webview sends, queues what we send until it says `ready`.
import type * as vscode from 'vscode';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import { HostToWebview, parseWebviewMessage, type ViewKind, type WebviewToHost } from '../../../protocol/src/webview';

export class WebviewBridge extends Disposable {
  private ready = false;
  /** False until the owner set this bridge's HTML (`opened`): what arrives before comes from the page it replaces. */
  private open: boolean;
  private queue: HostToWebview[] = [];
  private readonly _onMessage = this._register(new Emitter<WebviewToHost>());
  /** Every validated message except `ready`. */
  readonly onMessage = this._onMessage.event;
  private readonly _onReady = this._register(new Emitter<{ seeded: boolean }>());
  /**
   * Fires on each ready handshake (the webview reloads its script when it is shown again or the window reloads);
   * `seeded`: it showed the first screen its HTML carried (renderHtml's `first`).
   */
  readonly onReady = this._onReady.event;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly view: ViewKind,
    private readonly log: vscode.LogOutputChannel,
    o: { htmlLater?: boolean } = {},
  ) {
    super();
    this.open = !o.htmlLater;
    this._register(webview.onDidReceiveMessage((raw) => this.receive(raw)));
  }

  /** Posts now if the webview is ready, otherwise after its handshake. Invalid messages are a bug: thrown here. */
  post(message: HostToWebview): void {
    const checked = HostToWebview.parse(message);
    if (!this.ready) {
      this.queue.push(checked);
      return;
    }
    void this.webview.postMessage(checked);
  }

  /** The owner set the HTML of a bridge made with `htmlLater`: messages count from now on. */
  opened(): void {
    this.open = true;
  }

  /** The webview's document was replaced (html set again): wait for a new handshake. */
  reset(): void {
    this.ready = false;
  }

  private receive(raw: unknown): void {
    if (!this.open) return; // the page this bridge's HTML will replace: its ready or queries are not this page's
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.log.warn(`ignored an invalid message from the ${this.view} webview: ${parsed.error}`);
      return;
    }
    const msg = parsed.message;
    if (msg.type === 'ready') {
      if (msg.view !== this.view) {
        this.log.warn(`webview said it is "${msg.view}", expected "${this.view}"`);
        return;
      }
      this.ready = true;
      this._onReady.fire({ seeded: msg.seeded === true });
      const queued = this.queue;
      this.queue = [];
      for (const m of queued) void this.webview.postMessage(m);
      return;
    }
    this._onMessage.fire(msg);
  }
}
