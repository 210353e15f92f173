// When the spare provider worker is started again: not while a task's model request waits for its first answer.
import type { TaskEvent } from '../../../protocol/src/agent';

/** Events that say a model request has answered (or will not soon: a retry's back-off, the task's end). */
const ANSWERED = new Set<TaskEvent['type']>(['text-delta', 'tool-call', 'usage', 'retry', 'finished']);

/** The longest a spare is held back for one request: on a loaded machine a slow answer must not leave the next task
 * without a spare (a quiet machine's first token comes well within it, which is the window that matters). */
export const SPARE_HOLD_MS = 300;

/**
 * A spare's start (an ai-provider sandbox taken from the pool, whose replacement the pool then creates, a Node process
 * booted in it, the worker compiled and warmed) is a second or more of CPU. Started the moment a task takes the current
 * spare, it ran beside that task's first model request and delayed its first token on a small machine; so from a
 * turn's start until its first answer (at most `holdMs`) no spare starts (`quiet` false), and the one held back starts
 * then. A task that waits in the scheduler's queue holds nothing back: only a request on its way does.
 */
export class SpareRefill {
  private readonly waiting = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly fill: () => void,
    private readonly holdMs = SPARE_HOLD_MS,
  ) {}

  /** True when a spare may start now: no task waits for its first model answer. */
  get quiet(): boolean {
    return this.waiting.size === 0;
  }

  /** One of a task's events: `turn-start` comes just before its model request; an answer lets a held-back spare start. */
  saw(taskId: string, type: TaskEvent['type']): void {
    if (type === 'turn-start' && !this.waiting.has(taskId)) {
      const timer = setTimeout(() => this.done(taskId), this.holdMs);
      timer.unref?.();
      this.waiting.set(taskId, timer);
    } else if (ANSWERED.has(type)) this.done(taskId);
  }

  /** The task is over (or never got to its model): it holds nothing back any more. */
  done(taskId: string): void {
    const timer = this.waiting.get(taskId);
    if (!timer) return;
    clearTimeout(timer);
    this.waiting.delete(taskId);
    if (this.quiet) this.fill();
  }
}
