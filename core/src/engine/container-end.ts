// Why a kernel container ended (the engine's OOMKilled flag) and its last output: what a restart or a failure says.
import type Docker from 'dockerode';

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
  if (!st?.OOMKilled) return reason;
  const mib = Math.round(memoryBytes / 1024 ** 2);
  const line = `the kernel ran out of memory (limit ${mib} MiB, kernel.memory) and was killed; tasks it was running are marked interrupted`;
  log?.(line);
  return line;
}

/** The container's last 20 lines of output, readable (non-TTY logs carry an 8-byte frame header per chunk). */
export async function tailLogs(container: Docker.Container | undefined): Promise<string> {
  const buf = await container?.logs({ stdout: true, stderr: true, tail: 20 }).catch(() => undefined);
  return buf
    ? buf
        .toString('utf8')
        .replace(/[\x00-\x08]/g, '')
        .trim()
    : '';
}
