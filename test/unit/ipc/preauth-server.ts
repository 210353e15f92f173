// A bare KernelServer in its own process (so its memory can be measured): `kernel/ping` only, socket dir in argv[2].
import { KernelServer } from '../../../kernel/src/ipc/server';

const server = new KernelServer({
  socketDir: process.argv[2]!,
  checkPeer: false,
  kernel: { version: 'test', pid: process.pid, startedAt: Date.now() },
  handlers: { 'kernel/ping': (p) => ({ pong: true, nonce: p.nonce, time: Date.now() }) },
  preAuth: { timeoutMs: Number(process.env.PREAUTH_TIMEOUT_MS) || undefined, maxConnections: Number(process.env.PREAUTH_MAX) || undefined },
});
void server.listen().then(() => process.stdout.write('listening\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
