// A remote server whose transport is not given: streamable HTTP first, and when its `initialize` POST is answered 404 or
// 405, the older HTTP+SSE transport at the same URL, as the MCP specification's backwards compatibility asks of clients
// (and as VS Code does for `type: "http"`). Once a transport answered, the connection stays on it.
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** The SDK's StreamableHTTPError carries the HTTP status as `code`. */
const notStreamable = (e: unknown): boolean => {
  const code = (e as { code?: unknown }).code;
  return e instanceof Error && e.message.startsWith('Streamable HTTP error') && (code === 404 || code === 405);
};

export class FallbackTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private inner: Transport;
  private settled = false;

  constructor(
    primary: Transport,
    private readonly fallback: () => Transport,
    /** The fallback failed as well: why neither answered (the first transport's error, the second's). */
    private readonly neither: (first: Error, second: Error) => Error,
  ) {
    this.inner = primary;
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  private wire(t: Transport): void {
    t.onmessage = (m) => this.onmessage?.(m);
    t.onerror = (e) => this.onerror?.(e);
    t.onclose = () => this.onclose?.();
  }

  async start(): Promise<void> {
    this.wire(this.inner);
    await this.inner.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    try {
      await this.inner.send(message, options);
      this.settled = true;
    } catch (e) {
      const initialize = 'method' in message && message.method === 'initialize';
      if (this.settled || !initialize || !notStreamable(e)) throw e;
      this.settled = true;
      const old = this.inner;
      old.onclose = undefined;
      old.onerror = undefined;
      await old.close().catch(() => undefined);
      this.inner = this.fallback();
      this.wire(this.inner);
      try {
        await this.inner.start();
        await this.inner.send(message, options);
      } catch (second) {
        throw this.neither(e as Error, second as Error);
      }
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
