// The tiny transport interface the RPC layer sits on, plus an in-process pair for unit tests.
import { type AirlockError } from './errors';
import { Emitter, type Event, type IDisposable } from './lifecycle';

export interface ITransport extends IDisposable {
  /** Sends one message; throws AirlockError if it cannot be encoded (e.g. too large). */
  send(message: unknown): void;
  readonly onMessage: Event<unknown>;
  /** Non-fatal framing problems (a bad frame the stream survived) and fatal ones just before close. */
  readonly onError: Event<AirlockError>;
  readonly onClose: Event<void>;
  readonly isClosed: boolean;
}

/** Two connected in-memory transports. Messages are JSON round-tripped, as on a real wire. */
export function createInProcessPair(): [ITransport, ITransport] {
  const a = new InProcessTransport();
  const b = new InProcessTransport();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class InProcessTransport implements ITransport {
  peer!: InProcessTransport;
  private readonly _onMessage = new Emitter<unknown>();
  private readonly _onError = new Emitter<AirlockError>();
  private readonly _onClose = new Emitter<void>();
  readonly onMessage = this._onMessage.event;
  readonly onError = this._onError.event;
  readonly onClose = this._onClose.event;
  isClosed = false;

  send(message: unknown): void {
    if (this.isClosed) return;
    const copy: unknown = JSON.parse(JSON.stringify(message));
    queueMicrotask(() => {
      if (!this.peer.isClosed) this.peer._onMessage.fire(copy);
    });
  }

  dispose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this._onClose.fire();
    this.peer.dispose();
    this._onMessage.dispose();
    this._onError.dispose();
    this._onClose.dispose();
  }
}
