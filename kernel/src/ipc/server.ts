// The kernel's listening socket: one ServerConnection per client, gated by peer uid and the socket token.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { Disposable, toDisposable } from '../../../protocol/src/lifecycle';
import { HandlerMap, ServerConnection } from '../../../protocol/src/rpc-server';
import { SocketTransport } from '../../../protocol/src/node/socket-transport';
import type { Welcome } from '../../../protocol/src/messages';
import type { EventData, EventName } from '../../../protocol/src/events';
import { SOCKET_NAME, TOKEN_NAME } from '../config';
import { peerCredentials } from './peer';

export interface KernelServerOptions {
  socketDir: string;
  handlers: HandlerMap;
  kernel: Welcome['kernel'];
  allowedUid?: number;
  /** Off only for in-process tests on platforms without SO_PEERCRED. */
  checkPeer?: boolean;
}

export class KernelServer extends Disposable {
  private readonly connections = new Set<ServerConnection>();
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
      server.listen(this.socketPath, () => { server.off('error', reject); resolve(); });
    });
    fs.chmodSync(this.socketPath, 0o666); // Access is decided by peer uid + token, not file mode (container uid differs).
    this._register(toDisposable(() => {
      server.close();
      for (const c of this.connections) c.dispose();
    }));
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
      } catch {
        socket.destroy();
        return;
      }
      if (peerUid !== expectedUid) {
        socket.destroy(); // A foreign uid gets nothing, not even an error frame.
        return;
      }
    }
    const transport = new SocketTransport(socket);
    const conn = new ServerConnection(transport, {
      handlers: this.options.handlers,
      kernel: this.options.kernel,
      authorize: (hello) => {
        if (!hello.token || !timingSafeEqual(hello.token, this.token)) {
          throw new AirlockError(ErrorCodes.Unauthorized, 'missing or wrong kernel token',
            `read it from ${TOKEN_NAME} in the kernel socket directory (the CLI and extension do this for you)`);
        }
      },
    });
    this.connections.add(conn);
    conn.onDidClose(() => this.connections.delete(conn));
  }
}

function timingSafeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
