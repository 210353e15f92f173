// Scheduler methods: list tasks and let a person cancel, pause or resume one.
import { z } from 'zod';
import { TaskStatus } from '../agent';

export const TaskState = z.enum(['waiting', 'queued', 'running', 'paused', 'done', 'failed', 'cancelled']);
export type TaskState = z.infer<typeof TaskState>;

export const ResourceName = z.enum(['sandboxes', 'modelRequests', 'cpu']);
export type ResourceName = z.infer<typeof ResourceName>;
export const Resources = z.partialRecord(ResourceName, z.number().int().min(0).max(1024));
export type Resources = z.infer<typeof Resources>;

export const TaskInfo = z.object({
  id: z.string(),
  title: z.string(),
  /** 0 is most urgent. */
  priority: z.number().int(),
  state: TaskState,
  deps: z.array(z.string()),
  resources: Resources,
  deadline: z.number().nullable(),
  preemption: z.enum(['pause', 'requeue', 'never']),
  submittedAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  /** Who paused it, when paused. */
  pausedBy: z.enum(['person', 'preemption']).nullable(),
  /** Why it failed or was cancelled. */
  reason: z.string().nullable(),
  /** How the work itself ended (an agent task's final status: a budget stop is `failed` here); absent while it runs. */
  outcome: TaskStatus.optional(),
});
export type TaskInfo = z.infer<typeof TaskInfo>;

const TaskId = z.object({ id: z.string().min(1).max(128) });
const TaskResult = z.object({ task: TaskInfo });

export const tasksMethods = {
  'tasks/list': [
    z.object({ states: z.array(TaskState).optional() }),
    z.object({ tasks: z.array(TaskInfo), limits: Resources, inUse: Resources }),
  ],
  'tasks/cancel': [TaskId.extend({ reason: z.string().max(2000).optional() }), TaskResult],
  'tasks/pause': [TaskId, TaskResult],
  'tasks/resume': [TaskId, TaskResult],
} as const;
