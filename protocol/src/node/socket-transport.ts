// Transport over a byte stream (Unix socket, Windows named pipe, an engine exec stream) using the length-prefixed frame codec.
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { AirlockError, ErrorCodes } from '../errors';
import { encodeFrame, FrameReader, MAX_FRAME_BYTES } from '../frame';
import { Emitter } from '../lifecycle';
import type { ITransport } from '../transport';

export class SocketTransport implements ITransport {
  private readonly reader: FrameReader;
  private readonly _onMessage = new Emitter<unknown>();
  private readonly _onError = new Emitter<AirlockError>();
  private readonly _onClose = new Emitter<void>();
  readonly onMessage = this._onMessage.event;
  readonly onError = this._onError.event;
  readonly onClose = this._onClose.event;
  isClosed = false;

  constructor(
    readonly socket: Duplex,
    private maxFrameBytes = MAX_FRAME_BYTES,
  ) {
    this.reader = new FrameReader(maxFrameBytes);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.dispose());
    socket.on('close', () => this.dispose());
  }

  send(message: unknown): void {
    if (this.isClosed) return;
    this.socket.write(encodeFrame(message, this.maxFrameBytes));
  }

  /** Raises (or lowers) the frame limit for frames not yet started, e.g. once the peer has authenticated. */
  setMaxFrameBytes(n: number): void {
    this.maxFrameBytes = n;
    this.reader.setMaxBytes(n);
  }

  private onData(chunk: Buffer): void {
    // One frame at a time: handling a frame (a hello) may change the limit that applies to the next one.
    this.reader.append(chunk);
    for (let r = this.reader.next(); r; r = this.reader.next()) {
      if (r.type === 'message') this._onMessage.fire(r.value);
      else this._onError.fire(r.error);
      if (this.isClosed) return;
    }
    if (this.reader.isFatal) this.closeAfterFlush();
  }

  /** Ends the write side so an error reply already queued still reaches the peer, then destroys. */
  private closeAfterFlush(): void {
    this.socket.end();
    setTimeout(() => this.dispose(), 100).unref();
  }

  dispose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.socket.destroy();
    this._onClose.fire();
    this._onMessage.dispose();
    this._onError.dispose();
    this._onClose.dispose();
  }
}

export function connectSocket(path: string, signal?: AbortSignal): Promise<SocketTransport> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ path });
    const onAbort = () => {
      socket.destroy();
      reject(signal!.reason ?? new AirlockError(ErrorCodes.Cancelled, 'connect cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      signal?.removeEventListener('abort', onAbort);
      resolve(new SocketTransport(socket));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      reject(
        new AirlockError(
          ErrorCodes.ConnectionClosed,
          `cannot connect to the kernel socket ${path}: ${err.code ?? err.message}`,
          'is the kernel running? `airlock doctor` checks it',
        ),
      );
    });
  });
}
