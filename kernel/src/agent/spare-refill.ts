// When the spare provider worker is started again: not while a task's model request waits for its first answer.
import type { TaskEvent } from '../../../protocol/src/agent';

/** Events that say a model request has answered (or will not soon: a retry's back-off, the task's end). */
const ANSWERED = new Set<TaskEvent['type']>(['text-delta', 'tool-call', 'usage', 'retry', 'finished']);

/**
 * A spare's start (an ai-provider sandbox taken from the pool, whose replacement the pool then creates, a Node process
 * booted in it, the worker compiled and warmed) is a second or more of CPU. Started the moment a task takes the current
 * spare, it ran beside that task's first model request and delayed its first token on a small machine; so from a
 * turn's start until its first answer no spare starts (`quiet` false), and the one held back starts then. A task that
 * waits in the scheduler's queue holds nothing back: only a request on its way does.
 */
export class SpareRefill {
  private readonly waiting = new Set<string>();

  constructor(private readonly fill: () => void) {}

  /** True when a spare may start now: no task waits for its first model answer. */
  get quiet(): boolean {
    return this.waiting.size === 0;
  }

  /** One of a task's events: `turn-start` comes just before its model request; an answer lets a held-back spare start. */
  saw(taskId: string, type: TaskEvent['type']): void {
    if (type === 'turn-start') this.waiting.add(taskId);
    else if (ANSWERED.has(type)) this.done(taskId);
  }

  /** The task is over (or never got to its model): it holds nothing back any more. */
  done(taskId: string): void {
    if (this.waiting.delete(taskId) && this.quiet) this.fill();
  }
}
