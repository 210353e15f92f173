// The kernel's listening socket: one ServerConnection per client, gated by peer uid and the socket token.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { AirlockError, ErrorCodes, formatError } from '../../../protocol/src/errors';
import { Disposable, toDisposable } from '../../../protocol/src/lifecycle';
import { type HandlerMap, ServerConnection } from '../../../protocol/src/rpc-server';
import { SocketTransport } from '../../../protocol/src/node/socket-transport';
import type { Welcome } from '../../../protocol/src/messages';
import type { EventData, EventName } from '../../../protocol/src/events';
import { MAX_FRAME_BYTES, PRE_AUTH_MAX_FRAME_BYTES } from '../../../protocol/src/frame';
import { SOCKET_NAME, TOKEN_NAME } from '../config';
import { peerCredentials } from './peer';

export interface KernelServerOptions {
  socketDir: string;
  handlers: HandlerMap;
  kernel: Welcome['kernel'];
  allowedUid?: number;
  /** Off only for in-process tests on platforms without SO_PEERCRED. */
  checkPeer?: boolean;
  /** Limits before a connection's hello is accepted (defaults below; tests shorten them). */
  preAuth?: { timeoutMs?: number; maxConnections?: number };
}

/** An unauthenticated peer must say hello within this time. */
export const PRE_AUTH_TIMEOUT_MS = 5_000;
/** Connections waiting for their hello at once; a new one beyond this closes the oldest waiting one. */
export const MAX_PRE_AUTH_CONNECTIONS = 32;

export class KernelServer extends Disposable {
  private readonly connections = new Set<ServerConnection>();
  private saidNoPeerCred = false;
  /** Not yet authenticated, oldest first, each with its handshake timer. */
  private readonly waiting = new Map<ServerConnection, NodeJS.Timeout>();
  readonly socketPath: string;
  readonly token = crypto.randomBytes(32).toString('hex');
  private server?: net.Server;

  constructor(private readonly options: KernelServerOptions) {
    super();
    this.socketPath = path.join(options.socketDir, SOCKET_NAME);
  }

  async listen(): Promise<void> {
    fs.mkdirSync(this.options.socketDir, { recursive: true });
    fs.rmSync(this.socketPath, { force: true });
    // Token first, written atomically with 0600, so a client never reads a half-written one.
    const tokenPath = path.join(this.options.socketDir, TOKEN_NAME);
    fs.writeFileSync(tokenPath + '.tmp', this.token, { mode: 0o600 });
    fs.renameSync(tokenPath + '.tmp', tokenPath);
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(this.socketPath, 0o666); // Access is decided by peer uid + token, not file mode (container uid differs).
    this._register(
      toDisposable(() => {
        server.close();
        for (const c of this.connections) c.dispose();
      }),
    );
  }

  /** Sends an event to every connected, greeted client. */
  broadcast<E extends EventName>(name: E, data: EventData<E>): void {
    for (const c of this.connections) c.emit(name, data);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private accept(socket: net.Socket): void {
    const expectedUid = this.options.allowedUid ?? process.getuid?.();
    let peerUid: number | undefined;
    if (this.options.checkPeer !== false) {
      try {
        peerUid = peerCredentials(socket).uid;
      } catch (e) {
        // Fail closed, but say why once in the kernel's log (doctor shows it): a silent close looks like a crash.
        if (!this.saidNoPeerCred) {
          this.saidNoPeerCred = true;
          process.stderr.write(`refusing connections: ${formatError(e)}\n`);
        }
        socket.destroy();
        return;
      }
      if (peerUid !== expectedUid) {
        socket.destroy(); // A foreign uid gets nothing, not even an error frame.
        return;
      }
    }
    // Unauthenticated peers cost nothing: one small frame (the hello), a deadline, and a bounded number of them.
    const transport = new SocketTransport(socket, PRE_AUTH_MAX_FRAME_BYTES);
    const conn = new ServerConnection(transport, {
      handlers: this.options.handlers,
      kernel: this.options.kernel,
      authorize: (hello) => {
        if (!hello.token || !timingSafeEqual(hello.token, this.token)) {
          throw new AirlockError(
            ErrorCodes.Unauthorized,
            'missing or wrong kernel token',
            `read it from ${TOKEN_NAME} in the kernel socket directory (the CLI and extension do this for you)`,
          );
        }
        this.leaveWaiting(conn);
        transport.setMaxFrameBytes(MAX_FRAME_BYTES);
      },
    });
    const max = this.options.preAuth?.maxConnections ?? MAX_PRE_AUTH_CONNECTIONS;
    // Over the cap, the oldest waiting peer goes: a client that says hello at once is never starved by silent ones.
    for (const [old] of this.waiting) {
      if (this.waiting.size < max) break;
      this.leaveWaiting(old);
      old.dispose();
    }
    const timer = setTimeout(() => {
      this.waiting.delete(conn);
      conn.dispose();
    }, this.options.preAuth?.timeoutMs ?? PRE_AUTH_TIMEOUT_MS);
    timer.unref();
    this.waiting.set(conn, timer);
    this.connections.add(conn);
    // The socket's close, not the connection's event: a connection disposed by us (deadline, eviction, refused hello)
    // does not fire onDidClose, and must not stay in these sets.
    socket.once('close', () => {
      this.leaveWaiting(conn);
      this.connections.delete(conn);
    });
  }

  /** Leaves the pre-auth set (authenticated, or gone). */
  private leaveWaiting(conn: ServerConnection): void {
    clearTimeout(this.waiting.get(conn));
    this.waiting.delete(conn);
  }

  /** Connections that have not said a valid hello yet. */
  get waitingCount(): number {
    return this.waiting.size;
  }
}

function timingSafeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
