// IPreemptor over the sandbox manager: a preempted task's sandboxes are paused with the engine's pause (or, when the
// template says so or the engine refuses, destroyed so the scheduler runs the task again from scratch).
import { AirlockError } from '../../../protocol/src/errors';
import type { SandboxManager } from '../runtime/sandbox-manager';
import type { IPreemptor } from './types';

/** What the preemptor needs from the runtime (the SandboxManager). */
export type PreemptibleRuntime = Pick<SandboxManager, 'forTask' | 'pause' | 'resume' | 'destroy' | 'preemptionFor'>;

export class RuntimePreemptor implements IPreemptor {
  constructor(private readonly runtime: PreemptibleRuntime) {}

  /**
   * Pauses every live sandbox of the task. All or nothing: if a sandbox's template does not allow pausing, or the
   * engine cannot pause one, all of the task's sandboxes are destroyed and the promise rejects, so the scheduler falls
   * back to destroy + requeue (its run is aborted and started again later, on clean sandboxes).
   */
  async pause(taskId: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const boxes = this.runtime.forTask(taskId);
    const refusing = boxes.find((b) => this.runtime.preemptionFor(b.template) !== 'pause');
    if (refusing) {
      await this.destroyAll(taskId, `preempted: template ${refusing.template} is not paused but destroyed`);
      throw new AirlockError(
        'TASKS_PAUSE_REFUSED',
        `task ${taskId} uses template ${refusing.template}, whose preemption policy is ${this.runtime.preemptionFor(refusing.template)}`,
      );
    }
    const results = await Promise.allSettled(
      boxes.filter((b) => b.state === 'ready' || b.state === 'running').map((b) => this.runtime.pause(b.id, 'preemption')),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.destroyAll(taskId, 'preempted: the engine could not pause it');
      throw new AirlockError(
        'TASKS_PAUSE_FAILED',
        `could not pause task ${taskId}'s sandboxes: ${AirlockError.from(failed.reason).message}`,
        'the task is destroyed and runs again',
      );
    }
  }

  /** Unpauses the sandboxes this preemptor paused (a person's own `sandbox pause` is left alone). */
  async resume(taskId: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const paused = this.runtime.forTask(taskId).filter((b) => b.state === 'paused' && b.pausedBy === 'preemption');
    const results = await Promise.allSettled(paused.map((b) => this.runtime.resume(b.id)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw AirlockError.from(failed.reason, 'TASKS_RESUME_FAILED');
  }

  private async destroyAll(taskId: string, reason: string): Promise<void> {
    await Promise.all(this.runtime.forTask(taskId).map((b) => this.runtime.destroy(b.id, reason).catch(() => undefined)));
  }
}
