// Webview side of the protocol: validated posts and receives, the ready handshake, typed getState/setState.
import {
  FIRST_SCREEN_ID,
  FirstScreen,
  type HostToWebview,
  parseHostMessage,
  type ViewKind,
  WebviewPersistedState,
  WebviewToHost,
} from '../../../protocol/src/webview';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export class Bridge {
  private readonly api: VsCodeApi = acquireVsCodeApi();

  constructor(private readonly view: ViewKind) {}

  /**
   * Listens for host messages (validated; invalid ones are logged and dropped), shows the first screen the HTML carries,
   * then tells the host we are ready (and whether that first screen was shown).
   */
  start(onMessage: (m: HostToWebview) => void): void {
    window.addEventListener('message', (e: MessageEvent) => {
      const parsed = parseHostMessage(e.data);
      if (!parsed.ok) {
        console.warn(`airlock: dropped an invalid host message: ${parsed.error}`);
        return;
      }
      onMessage(parsed.message);
    });
    const seeded = this.firstScreen(onMessage);
    this.post({ type: 'ready', view: this.view, ...(seeded ? { seeded } : {}) });
  }

  /**
   * Delivers the messages the HTML carries, once per HTML: a reload of the same document (its state kept) would show
   * what was current when the host wrote it, so it asks the host instead. Anything unreadable is dropped the same way.
   */
  private firstScreen(onMessage: (m: HostToWebview) => void): boolean {
    const text = document.getElementById(FIRST_SCREEN_ID)?.textContent;
    if (!text) return false;
    let parsed: ReturnType<typeof FirstScreen.safeParse>;
    try {
      parsed = FirstScreen.safeParse(JSON.parse(text));
    } catch {
      parsed = FirstScreen.safeParse(undefined);
    }
    if (!parsed.success) {
      console.warn('airlock: dropped an invalid first screen');
      return false;
    }
    if (this.getState().firstKey === parsed.data.key) return false;
    this.setState({ firstKey: parsed.data.key });
    for (const m of parsed.data.messages) onMessage(m);
    return true;
  }

  post(message: WebviewToHost): void {
    this.api.postMessage(WebviewToHost.parse(message));
  }

  getState(): WebviewPersistedState {
    const r = WebviewPersistedState.safeParse(this.api.getState());
    return r.success && r.data.view === this.view ? r.data : { view: this.view };
  }

  setState(patch: Partial<WebviewPersistedState>): void {
    this.api.setState({ ...this.getState(), ...patch, view: this.view });
  }
}
