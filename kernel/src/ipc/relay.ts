// The far end of the exec-stream transport, run by `docker exec` in the kernel container: stdin/stdout <-> the kernel
// socket, byte for byte (frames, hello and token pass through untouched). `--token` prints the socket token instead.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { SOCKET_NAME, TOKEN_NAME } from '../config';

const dir = process.env.AIRLOCK_SOCKET_DIR ?? '/run/airlock';
const fail = (why: string) => {
  process.stderr.write(`airlock relay: ${why}\n`);
  process.exit(1);
};

if (process.argv[2] === '--token') {
  try {
    process.stdout.write(fs.readFileSync(path.join(dir, TOKEN_NAME), 'utf8').trim());
  } catch (e) {
    fail(`no token yet (${(e as NodeJS.ErrnoException).code})`);
  }
} else {
  const sock = net.createConnection(path.join(dir, SOCKET_NAME));
  sock.on('error', (e: NodeJS.ErrnoException) => fail(`cannot reach the kernel socket: ${e.code ?? e.message}`));
  sock.on('connect', () => {
    process.stdin.pipe(sock);
    sock.pipe(process.stdout);
  });
  // The host closed its end (stdin EOF): finish writing, then leave; the kernel closed: so do we.
  process.stdin.on('end', () => sock.end());
  sock.on('close', () => process.exit(0));
}
