// An engine's progress stream (build, push, pull) to its end: the final messages, or the abort reason when cancelled.
import type Docker from 'dockerode';

export function followEngine<T>(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  o: { signal?: AbortSignal; onEvent?: (e: T) => void } = {},
): Promise<T[]> {
  const { signal, onEvent } = o;
  return new Promise((resolve, reject) => {
    const onAbort = () => (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    (
      docker.modem as { followProgress(s: NodeJS.ReadableStream, done: (err: Error | null, res: T[]) => void, each: (e: T) => void): void }
    ).followProgress(
      stream,
      (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (signal?.aborted) reject(signal.reason);
        else if (err) reject(err);
        else resolve(res ?? []);
      },
      (e) => onEvent?.(e),
    );
  });
}
