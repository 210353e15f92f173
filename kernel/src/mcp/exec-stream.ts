// A long-lived process in a sandbox as a byte stream: engine exec with stdin attached (hijacked), stdout demultiplexed.
// Used for stdio MCP servers; one-shot commands keep using the exec agent (runtime/exec-agent.ts). Docker and Podman's
// compat API both speak it, so it takes the engine's socket (IContainerRuntime.socketPath).
import Docker from 'dockerode';
import { Duplex, PassThrough } from 'node:stream';
import { execExitCode } from '../../../core/src/engine/exec-exit';

/** A process started with `engineExecStream`: its stdin/stdout as one duplex, and what it said on stderr. */
export interface EngineExecStream {
  /** write = the process's stdin, read = its stdout (demultiplexed); ends when the process does. */
  stdio: Duplex;
  /** The last few KiB of its stderr (untrusted text, for the reason it died). */
  stderrTail(): string;
  /** Its exit code once it ended (null while running or unknown). */
  exitCode(): Promise<number | null>;
  /** Resolves once its stderr is complete (the exec ended; at most a moment after `stdio` ended). */
  settled?(): Promise<void>;
}

const clients = new Map<string, Docker>();
/** One dockerode client per engine socket. */
export function engineAt(socketPath: string): Docker {
  let d = clients.get(socketPath);
  if (!d) {
    d = new Docker({ socketPath });
    clients.set(socketPath, d);
  }
  return d;
}

/** How much of the process's stderr is kept for the reason it died (everything from below is untrusted and capped). */
const STDERR_TAIL = 4096;

export async function engineExecStream(
  docker: Docker,
  id: string,
  argv: string[],
  o: { user?: string; env?: Record<string, string>; workingDir?: string } = {},
): Promise<EngineExecStream> {
  const exec = await docker.getContainer(id).exec({
    Cmd: argv,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    User: o.user,
    WorkingDir: o.workingDir,
    // The environment lives in the engine's memory for the exec, never in a file in the sandbox.
    Env: Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`),
  });
  const raw = await exec.start({ hijack: true, stdin: true });
  const out = new PassThrough();
  const err = new PassThrough();
  docker.modem.demuxStream(raw, out, err);
  let tail = '';
  err.on('data', (c: Buffer) => {
    tail = (tail + c.toString('utf8')).slice(-STDERR_TAIL);
  });
  const stdio = new Duplex({
    read() {
      out.resume();
    },
    write(chunk, _enc, cb) {
      raw.write(chunk, cb);
    },
    final(cb) {
      raw.end();
      cb();
    },
    destroy(e, cb) {
      raw.destroy();
      cb(e);
    },
  });
  // Back-pressure: stop reading the engine while our reader is behind.
  out.on('data', (c: Buffer) => {
    if (!stdio.push(c)) out.pause();
  });
  const ended = () => {
    out.end();
    err.end();
  };
  out.on('end', () => stdio.push(null));
  raw.on('end', ended);
  raw.on('close', ended);
  raw.on('error', (e: Error) => stdio.destroy(e));
  return {
    stdio,
    stderrTail: () => tail,
    // Read once the engine recorded it (it lags the stream's end: core/src/engine/exec-exit.ts); null if it never does
    // within 2 s (a process that closed its output and kept running).
    exitCode: () => execExitCode(exec, undefined, 2_000).catch(() => null),
  };
}
