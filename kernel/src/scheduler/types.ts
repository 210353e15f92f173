// Scheduler contracts: task specs (zod), the clock, the work function and the preemptor the runtime implements.
import { z } from 'zod';
import type { TaskStatus } from '../../../protocol/src/agent';
import type { IDisposable } from '../../../protocol/src/lifecycle';
import { Resources, ResourceName } from '../../../protocol/src/methods/tasks';

export const TaskSpec = z.object({
  id: z.string().min(1).max(128),
  title: z.string().max(500).default(''),
  /** 0 is most urgent; each level costs `ageStepMs` of waiting (ageing). */
  priority: z.number().int().min(0).max(1000),
  deps: z.array(z.string().min(1).max(128)).max(1000).default([]),
  resources: Resources.default({}),
  /** Epoch ms; a task not finished by then fails (and is aborted if running). */
  deadline: z.number().optional(),
  /** From the sandbox template: pause its containers, destroy and requeue, or never preempt. */
  preemption: z.enum(['pause', 'requeue', 'never']).default('requeue'),
});
export type TaskSpec = z.infer<typeof TaskSpec>;
export type TaskSpecInput = z.input<typeof TaskSpec>;

export interface TaskContext {
  readonly id: string;
  /** Aborts on cancel, deadline, or preemption by destroy+requeue (then the task runs again later, from scratch). */
  readonly signal: AbortSignal;
  /** 1 on the first run, +1 after every requeue. */
  readonly attempt: number;
  /**
   * Resolves at once while the task runs; while it is paused (preempted, or held by a person) it resolves on the
   * resume. Work calls it before taking a slot it gave back when paused (e.g. the next model request).
   */
  whenRunning(signal?: AbortSignal): Promise<void>;
}

/** How a piece of work says it ended without throwing (an agent task that failed or ran out of budget is not `done`). */
export interface WorkOutcome {
  outcome: TaskStatus;
  message: string;
}

export type TaskWork = (ctx: TaskContext) => Promise<void | WorkOutcome>;

/**
 * Pauses and resumes a running task's sandboxes (the runtime implements it with the engine's pause/unpause).
 * A paused task keeps its sandboxes but gives back CPU and model-request slots.
 */
export interface IPreemptor {
  pause(taskId: string, signal: AbortSignal): Promise<void>;
  resume(taskId: string, signal: AbortSignal): Promise<void>;
}

export interface Clock {
  now(): number;
  /** Used only for deadlines: the loop itself is driven by events, never by polling. */
  setTimer(ms: number, fn: () => void): IDisposable;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    t.unref?.();
    return { dispose: () => clearTimeout(t) };
  },
};

export const RESOURCE_NAMES: readonly ResourceName[] = ResourceName.options;
/** What a paused task gives back; its sandboxes stay allocated (paused, not destroyed). */
export const RELEASED_ON_PAUSE: readonly ResourceName[] = ['cpu', 'modelRequests'];
