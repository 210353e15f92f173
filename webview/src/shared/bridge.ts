// Webview side of the protocol: validated posts and receives, the ready handshake, typed getState/setState.
import { type HostToWebview, parseHostMessage, type ViewKind, WebviewPersistedState, WebviewToHost } from '../../../protocol/src/webview';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export class Bridge {
  private readonly api: VsCodeApi = acquireVsCodeApi();

  constructor(private readonly view: ViewKind) {}

  /** Listens for host messages (validated; invalid ones are logged and dropped), then tells the host we are ready. */
  start(onMessage: (m: HostToWebview) => void): void {
    window.addEventListener('message', (e: MessageEvent) => {
      const parsed = parseHostMessage(e.data);
      if (!parsed.ok) {
        console.warn(`airlock: dropped an invalid host message: ${parsed.error}`);
        return;
      }
      onMessage(parsed.message);
    });
    this.post({ type: 'ready', view: this.view });
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
