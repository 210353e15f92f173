// A sandbox that belongs to a scheduled task: tagged with its id (so preemption finds it) and destroyed on abort.
import type { CreateSandboxOptions, SandboxManager } from '../runtime/sandbox-manager';
import type { SandboxInfo } from '../runtime/sandbox';
import type { TaskContext } from './types';

export interface TaskSandbox {
  readonly id: string;
  readonly info: SandboxInfo;
  /** Gives the sandbox back after use: recycled into its warm pool or destroyed, per its template. */
  release(): Promise<void>;
}

/**
 * Creates (or takes from the pool) a sandbox for the task. When the task's signal aborts (cancel, deadline, or
 * preemption by destroy + requeue) the sandbox is destroyed at once: its processes die, a command in flight rejects,
 * and `release()` (call it in a `finally`) returns once the container is gone: only then does the work return and
 * the scheduler get the task's resources back.
 */
export async function acquireTaskSandbox(
  runtime: Pick<SandboxManager, 'create' | 'destroy' | 'release'>,
  ctx: Pick<TaskContext, 'id' | 'signal'>,
  opts: Omit<CreateSandboxOptions, 'task' | 'signal'>,
): Promise<TaskSandbox> {
  const signal = ctx.signal;
  const info = await runtime.create({ ...opts, task: ctx.id, signal });
  let destroying: Promise<unknown> | undefined;
  const onAbort = () => {
    destroying ??= runtime.destroy(info.id, `task ${ctx.id} stopped`).catch(() => undefined);
  };
  // Aborted while it was being created: it is gone before the caller hears of the abort (no container outlives a stop).
  if (signal.aborted) {
    onAbort();
    await destroying;
    signal.throwIfAborted();
  }
  signal.addEventListener('abort', onAbort, { once: true });
  let released = false;
  return {
    id: info.id,
    info,
    release: async () => {
      if (released) return;
      released = true;
      signal.removeEventListener('abort', onAbort);
      // Aborted: wait until the sandbox is really gone, so the task's resources come back only then.
      if (signal.aborted) {
        onAbort();
        await destroying;
        return;
      }
      await runtime.release(info.id).catch(() => runtime.destroy(info.id, 'release failed').catch(() => undefined));
    },
  };
}
