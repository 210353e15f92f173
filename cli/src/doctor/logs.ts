// The kernel container's last output, for doctor's `kernel` check when the kernel does not start or answer.
import type { Engine } from '../../../bootstrap';

export const LOG_LINES = 20;

/**
 * Docker and Podman send a non-TTY container's logs as frames: 1 byte stream, 3 zero bytes, 4 bytes big-endian
 * length, then the payload. Payload bytes are kept whole (stripping control bytes would also eat length bytes that
 * happen to be printable, and mangle the text); anything not framed that way is taken as plain text.
 */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && buf[i] <= 2 && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, Math.min(buf.length, i + 8 + size)));
    i += 8 + size;
  }
  if (i < buf.length) parts.push(buf.subarray(i));
  return Buffer.concat(parts).toString('utf8');
}

/** The last LOG_LINES lines the container wrote, or undefined when there is no such container. */
export async function containerLogs(engine: Engine, name: string): Promise<string | undefined> {
  const raw = await engine.docker
    .getContainer(name)
    .logs({ stdout: true, stderr: true, tail: LOG_LINES, follow: false })
    .catch(() => undefined);
  if (raw === undefined) return undefined;
  return lastLines(demuxLogs(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))), LOG_LINES);
}

export function lastLines(text: string, n: number): string {
  return text.replace(/\s+$/, '').split('\n').slice(-n).join('\n');
}

/** The command that shows the whole log, for the engine that runs the kernel. */
export function logCommand(engine: Pick<Engine, 'kind'>, name: string): string {
  return `${engine.kind} logs ${name}`;
}
