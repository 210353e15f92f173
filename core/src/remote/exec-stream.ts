// A process in a container as a byte stream, through the engine's own API (exec, hijacked, stdout demultiplexed):
// how the host reaches the kernel when it shares no unix socket with the engine (remote engine, a VM in between).
import { Duplex, PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { execExitCode } from '../engine/exec-exit';

/** dockerode types its modem as `any`; this is the one call used from it. */
type Demux = { demuxStream(stream: NodeJS.ReadableStream, out: NodeJS.WritableStream, err: NodeJS.WritableStream): void };
function demux(c: Docker.Container, raw: NodeJS.ReadableStream, out: NodeJS.WritableStream, err: NodeJS.WritableStream): void {
  (c.modem as Demux).demuxStream(raw, out, err);
}

const HINT = 'is the kernel container running? `airlock doctor` checks it; `docker logs airlock-kernel-*` shows its output';

/** Runs `argv` in the container with stdin attached. What we write reaches its stdin; its stdout is what we read;
 * its stderr (last 2 KB) goes into the error when the stream ends before any output arrived. */
export async function execStream(
  container: Docker.Container,
  argv: string[],
  o: { user?: string; signal?: AbortSignal } = {},
): Promise<Duplex> {
  o.signal?.throwIfAborted();
  const exec = await container.exec({
    Cmd: argv,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    ...(o.user ? { User: o.user } : {}),
  });
  const raw = await exec.start({ hijack: true, stdin: true });
  const out = new PassThrough();
  const err = new PassThrough();
  demux(container, raw, out, err);
  let errText = '';
  let received = false;
  err.on('data', (c: Buffer) => {
    errText = (errText + c.toString('utf8')).slice(-2048);
  });
  const stream = new Duplex({
    read() {
      /* pushed from `out` as it arrives */
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
  out.on('data', (c: Buffer) => {
    received = true;
    stream.push(c);
  });
  out.on('end', () => {
    const why =
      !received && errText.trim() ? new AirlockError(ErrorCodes.ConnectionClosed, `${argv.join(' ')}: ${errText.trim()}`, HINT) : null;
    // Destroyed only once what was pushed has been read: destroying at once would drop a last error reply.
    stream.once('end', () => stream.destroy(why ?? undefined));
    stream.push(null);
  });
  const ended = () => out.end();
  raw.on('end', ended);
  raw.on('close', ended);
  raw.on('error', (e: Error) => stream.destroy(e));
  const onAbort = () => stream.destroy(new AirlockError(ErrorCodes.Cancelled, 'the exec stream was cancelled'));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  stream.once('close', () => o.signal?.removeEventListener('abort', onAbort));
  return stream;
}

/** Runs `argv` to completion (stdin closed) and returns its stdout; a non-zero exit is an error carrying its stderr. */
export async function execOutput(
  container: Docker.Container,
  argv: string[],
  o: { user?: string; signal?: AbortSignal; maxBytes?: number } = {},
): Promise<string> {
  const exec = await container.exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, Tty: false, ...(o.user ? { User: o.user } : {}) });
  const raw = await exec.start({ hijack: true, stdin: false });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let size = 0;
  const max = o.maxBytes ?? 1 << 20;
  const sink = (into: Buffer[]) =>
    new PassThrough().on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) into.push(c);
      else raw.destroy();
    });
  const sinks = [sink(out), sink(err)];
  demux(container, raw, sinks[0]!, sinks[1]!);
  // Each sink ends after the chunks the demuxer wrote into it, so nothing written before the stream ended is lost.
  const drained = sinks.map((s) => new Promise((r) => s.once('end', r)));
  await new Promise<void>((resolve, reject) => {
    raw.on('end', resolve);
    raw.on('close', resolve);
    raw.on('error', reject);
  });
  for (const s of sinks) s.end();
  await Promise.all(drained);
  const ExitCode = await execExitCode(exec);
  if (size > max) throw new AirlockError(ErrorCodes.ConnectionClosed, `${argv.join(' ')} wrote more than ${max} bytes`, HINT);
  if (ExitCode !== 0)
    throw new AirlockError(
      ErrorCodes.ConnectionClosed,
      `${argv.join(' ')} exited ${ExitCode}: ${Buffer.concat(err).toString('utf8').trim().slice(-2048)}`,
      HINT,
    );
  return Buffer.concat(out).toString('utf8');
}
