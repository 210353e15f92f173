// An engine exec's exit code, read once the engine has recorded it (it lags the end of the output stream under load).
import type Docker from 'dockerode';
import { AirlockError } from '../../../protocol/src/errors';

/** How long the engine may take to record an exec's exit after its output stream ended (it is seconds only under load). */
const EXIT_RECORD_MS = 10_000;

/**
 * The exit code of an exec whose output stream has ended. The engine closes the stream when the process's stdio
 * closes and records the exit status on its own, so an inspect right after may still say running with no exit code
 * (moby and Podman both, more often under load): read at once, a passing command looked failed (exit -1). Polled until recorded.
 */
export async function execExitCode(ex: Pick<Docker.Exec, 'inspect'>, signal?: AbortSignal, withinMs = EXIT_RECORD_MS): Promise<number> {
  const until = Date.now() + withinMs;
  for (let wait = 2; ; wait = Math.min(wait * 2, 200)) {
    const info = await ex.inspect();
    if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return info.ExitCode;
    if (Date.now() > until)
      throw new AirlockError(
        'RUNTIME_ENGINE_ERROR',
        `the engine did not record the command's exit status within ${withinMs / 1000} s of its output ending`,
        'the engine is overloaded, or the command closed its output and kept running',
      );
    signal?.throwIfAborted();
    await new Promise((r) => setTimeout(r, wait));
  }
}
