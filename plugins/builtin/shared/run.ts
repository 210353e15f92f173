// Runs one command for a built-in plugin inside its own sandbox: argv only (no shell), output capped, the whole process
// group killed on cancel or deadline, so a cancelled call leaves nothing running.
import { spawn } from 'node:child_process';

export interface RunResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timedOut: boolean;
}

export interface RunOptions {
  cwd: string;
  signal: AbortSignal;
  timeoutMs: number;
  /** Bytes kept of stdout and of stderr each; the rest is dropped (and said so). */
  maxBytes: number;
  env?: Record<string, string>;
  /** stderr into stdout, in order (test runners print results on both). */
  merge?: boolean;
}

export function runCommand(argv: readonly string[], o: RunOptions): Promise<RunResult> {
  o.signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: o.cwd,
      env: { ...process.env, ...o.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let truncated = false;
    let timedOut = false;
    const keep = (into: Buffer[], size: number, chunk: Buffer): number => {
      const room = o.maxBytes - size;
      if (room <= 0) {
        truncated = true;
        return size;
      }
      if (chunk.length > room) truncated = true;
      into.push(chunk.subarray(0, room));
      return size + Math.min(room, chunk.length);
    };
    child.stdout.on('data', (c: Buffer) => {
      outBytes = keep(out, outBytes, c);
    });
    child.stderr.on('data', (c: Buffer) => {
      if (o.merge) outBytes = keep(out, outBytes, c);
      else errBytes = keep(err, errBytes, c);
    });
    const killAll = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killAll();
    }, o.timeoutMs);
    const onAbort = () => killAll();
    o.signal.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
    };
    child.on('error', (e) => {
      done();
      reject(e);
    });
    child.on('close', (code) => {
      done();
      if (o.signal.aborted) {
        reject(new Error('cancelled'));
        return;
      }
      const text = (b: Buffer[]) => Buffer.concat(b).toString('utf8');
      resolve({ exitCode: code, stdout: text(out), stderr: text(err), truncated, timedOut });
    });
  });
}
