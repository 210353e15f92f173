// A long-lived process in a sandbox whose stdin/stdout is a unix socket to the kernel, not the engine's exec stream:
// its bytes skip dockerd (and containerd's shim) both ways. The engine exec still starts it, and carries its stderr and
// exit code; the socket lives in the sandbox's egress folder (mounted read-only inside, connectable by the sandbox user).
import type Docker from 'dockerode';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { SANDBOX_EGRESS_DIR } from '../egress/sandbox';
import { engineExecStream, type EngineExecStream } from './exec-stream';

/** The launcher's exit code when it cannot connect: the exec stream is used instead (gVisor without host sockets). */
const UNREACHABLE_EXIT = 126;

/**
 * Runs in the sandbox (`node -e LAUNCHER socket command args...`): connects to the kernel's socket, proves it is the
 * launcher the kernel started (the nonce from its exec's environment, which the command does not inherit), then starts
 * the command with that socket as its stdin and stdout (the same descriptor: no copy in between), stderr its own, and
 * exits as it does. The socket is paused before it connects, so the launcher never reads a byte meant for the command.
 * The person's NODE_OPTIONS are the command's, not the launcher's (they could break this program).
 */
export const LAUNCHER_SOURCE = String.raw`
const net = require('net'); const { spawn } = require('child_process'); const os = require('os');
const [sock, cmd, ...args] = process.argv.slice(1);
const nonce = process.env.AIRLOCK_STDIO_NONCE || ''; const env = { ...process.env }; delete env.AIRLOCK_STDIO_NONCE;
if ('AIRLOCK_CHILD_NODE_OPTIONS' in env) { env.NODE_OPTIONS = env.AIRLOCK_CHILD_NODE_OPTIONS; delete env.AIRLOCK_CHILD_NODE_OPTIONS; }
const fail = (code, what, e) => { process.stderr.write('\nairlock launcher: ' + what + ': ' + e.message + '\n'); process.exit(code); };
const s = net.connect({ path: sock }); s.pause();
s.on('error', (e) => fail(${UNREACHABLE_EXIT}, 'the stdio socket cannot be reached', e));
s.on('connect', () => s.write(nonce + '\n', () => {
  const p = spawn(cmd, args, { stdio: [s, s, 'inherit'], env });
  p.on('error', (e) => fail(127, 'could not start ' + cmd, e));
  p.on('exit', (code, sig) => process.exit(code ?? 128 + (os.constants.signals[sig] || 0)));
}));
`;

/** How long the launcher has to connect (a node start in the sandbox: ~50 ms; minutes only on a starved machine). */
const CONNECT_TIMEOUT_MS = 30_000;
/** How long the exit code waits for the exec's end after the socket's (a process that closed its stdio and kept on). */
const EXIT_WAIT_MS = 2_000;
const NONCE_BYTES = 16;

export interface SocketExecOptions {
  user?: string;
  env?: Record<string, string>;
  workingDir?: string;
  /** The sandbox's egress folder as the kernel sees it (SandboxManager.stdioFolder). */
  folder: string;
}

/** Starts `argv` in container `id` with its stdio on a fresh socket in `folder`; resolves once the process holds it. */
export async function socketExecStream(docker: Docker, id: string, argv: string[], o: SocketExecOptions): Promise<EngineExecStream> {
  // Short (socket paths have a 108-byte limit) and one-use; the nonce, not the name, is what identifies the launcher.
  const name = `io-${randomBytes(6).toString('hex')}.sock`;
  const nonce = randomBytes(NONCE_BYTES).toString('hex');
  const kernelPath = path.join(o.folder, name);
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  const closeServer = () => {
    server.close();
    fs.rmSync(kernelPath, { force: true });
  };
  const proven = new Promise<net.Socket>((resolve) => server.on('connection', (c) => void prove(c, nonce).then((ok) => ok && resolve(c))));
  let proc: EngineExecStream;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(kernelPath, () => resolve());
    });
    // The sandbox may run as another uid than the kernel (as the egress sockets beside it).
    fs.chmodSync(kernelPath, 0o666);
    const { NODE_OPTIONS, ...env } = o.env ?? {};
    const launcherEnv = {
      ...env,
      AIRLOCK_STDIO_NONCE: nonce,
      ...(NODE_OPTIONS !== undefined ? { AIRLOCK_CHILD_NODE_OPTIONS: NODE_OPTIONS } : {}),
    };
    const launcher = ['node', '-e', LAUNCHER_SOURCE, `${SANDBOX_EGRESS_DIR}/${name}`, ...argv];
    proc = await engineExecStream(docker, id, launcher, { ...o, env: launcherEnv });
  } catch (e) {
    closeServer();
    throw e;
  }
  // The launcher's stdout carries nothing; reading it lets its end (the process is gone) be seen. An engine connection
  // reset ends it too (its error has a listener here, so it cannot become an uncaught exception).
  proc.stdio.on('error', () => undefined);
  proc.stdio.resume();
  const gone = new Promise<'gone'>((resolve) => proc.stdio.once('close', () => resolve('gone')).once('end', () => resolve('gone')));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CONNECT_TIMEOUT_MS)));
  const first = await Promise.race([proven, gone, late]);
  clearTimeout(timer);
  // One connection only: the socket file goes as soon as the launcher holds it.
  closeServer();
  if (first === 'gone' || first === 'late') {
    proc.stdio.destroy();
    const code = first === 'gone' ? await proc.exitCode() : null;
    throw new AirlockError(
      code === UNREACHABLE_EXIT ? 'SANDBOX_STDIO_UNREACHABLE' : 'SANDBOX_STDIO_SOCKET',
      first === 'late'
        ? `${argv[0]} did not connect to its stdio socket within ${CONNECT_TIMEOUT_MS / 1000} s`
        : `${argv[0]} ended before it connected to its stdio socket${proc.stderrTail() ? `: ${proc.stderrTail().slice(-500)}` : ''}`,
      'the sandbox needs node on its PATH and its egress folder mounted; `airlock sandbox list` shows the sandbox',
    );
  }
  const stdio = first;
  // The exec's end comes a moment after the socket's and brings the last of the stderr: exit code and stderr wait for it.
  const settled = async () => {
    let t: NodeJS.Timeout | undefined;
    await Promise.race([gone, new Promise((r) => (t = setTimeout(r, EXIT_WAIT_MS)))]);
    clearTimeout(t);
  };
  // The socket closed (the kernel let go, or the process ended): the exec goes too, once it brought the stderr.
  stdio.once('close', () => void settled().then(() => proc.stdio.destroy()));
  return {
    stdio,
    stderrTail: proc.stderrTail,
    settled,
    exitCode: async () => {
      await settled();
      return proc.exitCode();
    },
  };
}

/**
 * Reads the launcher's first line and compares it with the nonce; anything else (another process of the sandbox) is
 * cut. It reads in paused mode ('readable'): once that listener goes, the socket is as new, and the caller's 'data'
 * listener starts the flow (bytes past the nonce, the command's first output, are put back for it).
 */
export function prove(c: net.Socket, nonce: string): Promise<boolean> {
  const want = Buffer.from(`${nonce}\n`);
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      c.off('readable', onReadable);
      c.off('end', onEnd);
      clearTimeout(timer);
      if (!ok) c.destroy();
      resolve(ok);
    };
    const onEnd = () => done(false);
    const onReadable = () => {
      for (let b: Buffer | null; got.length < want.length && (b = c.read() as Buffer | null) !== null;) got = Buffer.concat([got, b]);
      if (got.length < want.length) return;
      const ok = timingSafeEqual(got.subarray(0, want.length), want);
      if (ok && got.length > want.length) c.unshift(got.subarray(want.length));
      done(ok);
    };
    const timer = setTimeout(() => done(false), CONNECT_TIMEOUT_MS);
    c.on('readable', onReadable);
    c.on('end', onEnd);
    c.on('error', () => done(false));
  });
}

/**
 * A sandbox's long-lived process: on a stdio socket when the sandbox has an egress folder, else on the exec stream. A
 * sandbox that cannot reach a host socket (gVisor without host UDS: the launcher exits 126) gets the exec stream.
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
    if (!(e instanceof AirlockError) || e.code !== 'SANDBOX_STDIO_UNREACHABLE') throw e;
    return engineExecStream(docker, sandbox.containerId, argv, o);
  }
}
