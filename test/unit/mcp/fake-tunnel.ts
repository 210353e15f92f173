// The tunnel a remote MCP server's relay sandbox would open, faked by a TCP connection for the unit tests (the Docker
// tests run the real one); every byte that crosses it is kept, to show what never passes in clear.
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { AirlockError } from '../../../protocol/src/errors';
import type { McpServerConfig } from '../../../protocol/src/methods/mcp';
import type { EngineExecStream } from '../../../kernel/src/mcp/exec-stream';
import { remoteTransport } from '../../../kernel/src/mcp/remote';

/** A Duplex over a connected socket, the way an exec relay's stdio carries one; `crossed` keeps every byte. */
export function socketDuplex(sock: net.Socket, crossed?: Buffer[], first?: Buffer): Duplex {
  const d = new Duplex({
    read() {
      sock.resume();
    },
    write(c: Buffer, _e, cb) {
      crossed?.push(c);
      sock.write(c, cb);
    },
    final(cb) {
      sock.end();
      cb();
    },
    destroy(e, cb) {
      sock.destroy();
      cb(e);
    },
  });
  if (first) d.push(first);
  sock.on('data', (c: Buffer) => {
    crossed?.push(c);
    if (!d.push(c)) sock.pause();
  });
  sock.on('end', () => d.push(null));
  return d;
}

/** The tunnel a relay sandbox would open: "OK\n", then a TCP connection to the server; every byte is kept. */
export function fakeTunnel(port: number, crossed: Buffer[]): (argv: string[]) => Promise<EngineExecStream> {
  return async () => {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r, j) => sock.once('connect', r).once('error', j));
    return { stdio: socketDuplex(sock, crossed, Buffer.from('OK\n')), stderrTail: () => '', exitCode: async () => null };
  };
}

/** An MCP client connected to the remote server `c` through the fake tunnel: what it refused, and the connect error. */
export async function connectRemote(c: McpServerConfig, port: number, crossed: Buffer[] = []) {
  const refused: AirlockError[] = [];
  const client = new Client({ name: 'airlock', version: '0.0.0' });
  const transport = remoteTransport(c, { exec: fakeTunnel(port, crossed), refused: (e) => refused.push(e) });
  const err = await client.connect(transport, { timeout: 10_000 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { client, refused, err };
}
