// Why a kernel container ended (OOMKilled, or an exit during start) and its last output: what a restart or a failure says.
import type Docker from 'dockerode';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';

/** The kernel's exit code when its engine dropped its sandbox streams (kernel/src/lifecycle/engine-lost.ts);
 * EX_TEMPFAIL: bootstrap starts it again. */
export const ENGINE_LOST_EXIT = 75;

/** A kernel killed for memory says so: the person can raise `kernel.memory`. Otherwise `reason` stands. */
export async function whyStopped(
  container: Docker.Container | undefined,
  reason: string,
  memoryBytes: number,
  log?: (line: string) => void,
): Promise<string> {
  // The connection closes as the process dies, a moment before the engine has the container's end recorded.
  let st = (await container?.inspect().catch(() => undefined))?.State;
  for (let i = 0; st?.Running && i < 20; i++) {
    await new Promise((r) => setTimeout(r, 100));
    st = (await container?.inspect().catch(() => undefined))?.State;
  }
  if (!st?.Running && st?.ExitCode === ENGINE_LOST_EXIT)
    return 'the container engine restarted under the kernel (its sandboxes were cut off): the kernel stopped to start again';
  if (!st?.OOMKilled) return reason;
  const mib = Math.round(memoryBytes / 1024 ** 2);
  const line = `the kernel ran out of memory (limit ${mib} MiB, kernel.memory) and was killed; tasks it was running are marked interrupted`;
  log?.(line);
  return line;
}

/** The container's last 20 lines of output, readable: non-TTY logs come in frames, each with an 8-byte header whose
 * last 4 bytes are its length (printable bytes among them: stripping control characters left stray letters). */
export async function tailLogs(container: Docker.Container | undefined): Promise<string> {
  const buf = await container?.logs({ stdout: true, stderr: true, tail: 20 }).catch(() => undefined);
  return buf ? demux(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))).trim() : '';
}

/** The frames' payloads joined; a buffer that is not framed (a TTY container's) as it is. */
function demux(buf: Buffer): string {
  const parts: Buffer[] = [];
  for (let at = 0; at < buf.length;) {
    const framed = at + 8 <= buf.length && buf[at] <= 2 && buf.readUIntBE(at + 1, 3) === 0;
    const end = framed ? at + 8 + buf.readUInt32BE(at + 4) : -1;
    if (!framed || end > buf.length) return at === 0 ? buf.toString('utf8') : Buffer.concat(parts).toString('utf8');
    parts.push(buf.subarray(at + 8, end));
    at = end;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** A kernel that exited before it answered: the error carries its last output (the container may be gone when the
 * person looks: a test's clean-up, a retry that replaces it), e.g. a kernel bundle that throws at load. */
export async function exitedDuringStart(container: Docker.Container | undefined): Promise<AirlockError> {
  const logs = await tailLogs(container);
  return new AirlockError(
    ErrorCodes.KernelStart,
    `the kernel container exited during start${logs ? `; its last output:\n${logs}` : ''}`,
    'see its output with `airlock doctor` or `docker logs airlock-kernel-*`',
  );
}
