// A long-lived process in a sandbox whose stdin/stdout is a unix socket to the kernel, not the engine's exec stream:
// its bytes skip dockerd (and containerd's shim) both ways. The engine exec still starts it, and carries its stderr and
// exit code; the socket lives in the sandbox's egress folder (mounted read-only inside, connectable by the sandbox user).
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { SANDBOX_EGRESS_DIR } from '../egress/sandbox';
import { engineExecStream, type EngineExecStream } from './exec-stream';

/** What the launcher says when it cannot connect (then the exec stream is used instead). */
const SOCKET_UNREACHABLE = 'the stdio socket cannot be reached';

/**
 * Runs in the sandbox (`node -e LAUNCHER socket command args...`): connects to the kernel's socket and starts the
 * command with that socket as its stdin and stdout (the same descriptor: no copy in between), stderr its own; exits as
 * the command does. The socket is paused before it connects, so the launcher never reads a byte meant for the command.
 */
export const LAUNCHER_SOURCE = String.raw`
const net = require('net'); const { spawn } = require('child_process'); const os = require('os');
const [sock, cmd, ...args] = process.argv.slice(1);
const fail = (code, what, e) => { process.stderr.write('airlock launcher: ' + what + ': ' + e.message + '\n'); process.exit(code); };
const s = net.connect({ path: sock }); s.pause();
s.on('error', (e) => fail(126, '${SOCKET_UNREACHABLE}', e));
s.on('connect', () => {
  const p = spawn(cmd, args, { stdio: [s, s, 'inherit'] });
  p.on('error', (e) => fail(127, 'could not start ' + cmd, e));
  p.on('exit', (code, sig) => process.exit(code ?? 128 + (os.constants.signals[sig] || 0)));
});
`;

/** How long the launcher has to connect (a node start in the sandbox: ~50 ms; minutes only on a starved machine). */
const CONNECT_TIMEOUT_MS = 30_000;
/** How long the exit code waits for the exec's end after the socket's (a process that closed its stdio and kept on). */
const EXIT_WAIT_MS = 2_000;

export interface SocketExecOptions {
  user?: string;
  env?: Record<string, string>;
  workingDir?: string;
  /** The sandbox's egress folder as the kernel sees it (SandboxManager.stdioFolder). */
  folder: string;
}

/** Starts `argv` in container `id` with its stdio on a fresh socket in `folder`; resolves once the process holds it. */
export async function socketExecStream(docker: Docker, id: string, argv: string[], o: SocketExecOptions): Promise<EngineExecStream> {
  const name = `stdio-${randomBytes(8).toString('hex')}.sock`;
  const kernelPath = path.join(o.folder, name);
  const server = net.createServer({ allowHalfOpen: true });
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(kernelPath, () => resolve());
  });
  // The sandbox may run as another uid than the kernel (as the egress sockets beside it).
  fs.chmodSync(kernelPath, 0o666);
  const closeServer = () => {
    server.close();
    fs.rmSync(kernelPath, { force: true });
  };
  let proc: EngineExecStream;
  try {
    proc = await engineExecStream(docker, id, ['node', '-e', LAUNCHER_SOURCE, `${SANDBOX_EGRESS_DIR}/${name}`, ...argv], o);
  } catch (e) {
    closeServer();
    throw e;
  }
  // The launcher's stdout carries nothing; reading it lets its end (the process is gone) be seen.
  proc.stdio.resume();
  const gone = new Promise<'gone'>((resolve) => proc.stdio.once('close', () => resolve('gone')).once('end', () => resolve('gone')));
  gone.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CONNECT_TIMEOUT_MS)));
  const first = await Promise.race([accepted, gone, late]);
  clearTimeout(timer);
  // One connection only: the socket file goes as soon as the launcher holds it.
  closeServer();
  if (first === 'gone' || first === 'late') {
    proc.stdio.destroy();
    throw new AirlockError(
      'SANDBOX_STDIO_SOCKET',
      first === 'late'
        ? `${argv[0]} did not connect to its stdio socket within ${CONNECT_TIMEOUT_MS / 1000} s`
        : `${argv[0]} ended before it connected to its stdio socket${proc.stderrTail() ? `: ${proc.stderrTail().slice(-500)}` : ''}`,
      'the sandbox needs node on its PATH and its egress folder mounted; `airlock sandbox list` shows the sandbox',
    );
  }
  // The process's end shows as the socket's (the launcher and the command hold its only other ends), a moment before
  // the exec's own end brings the last of its stderr: the exit code and stderr are read once that came too.
  return {
    stdio: first,
    stderrTail: proc.stderrTail,
    exitCode: async () => {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([gone, new Promise((r) => (t = setTimeout(r, EXIT_WAIT_MS)))]);
      clearTimeout(t);
      return proc.exitCode();
    },
  };
}

/**
 * A sandbox's long-lived process: on a stdio socket when the sandbox has an egress folder, else on the exec stream. A
 * sandbox that cannot reach a host socket (gVisor without host UDS: the launcher's connect fails) gets the exec stream.
 */
export async function sandboxProcess(
  docker: Docker,
  sandbox: { containerId: string; stdioFolder: string | undefined },
  argv: string[],
  o: Omit<SocketExecOptions, 'folder'>,
): Promise<EngineExecStream> {
  if (!sandbox.stdioFolder) return engineExecStream(docker, sandbox.containerId, argv, o);
  try {
    return await socketExecStream(docker, sandbox.containerId, argv, { ...o, folder: sandbox.stdioFolder });
  } catch (e) {
    if (!(e instanceof AirlockError) || !e.message.includes(SOCKET_UNREACHABLE)) throw e;
    return engineExecStream(docker, sandbox.containerId, argv, o);
  }
}
