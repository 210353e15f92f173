// Server-pushed events and their payload schemas, by name.
import { z } from 'zod';
import { TaskEvent } from './agent';
import { StorageWarning } from './audit';
import { TaskInfo } from './methods/tasks';
import { LmRequest, LmRequestId } from './methods/lm';
import { SessionSnapshot, TransitionRecord } from './workflow';

export const events = {
  'kernel/log': z.object({ level: z.enum(['debug', 'info', 'warn', 'error']), message: z.string() }),
  'task/event': z.object({ taskId: z.string(), seq: z.number().int().nonnegative(), event: TaskEvent }),
  /** A patch set is ready for review (or, with autoMerge, accepted by the auto-merge criteria for the host to apply). */
  'patches/ready': z.object({
    setId: z.string(),
    taskId: z.string().optional(),
    files: z.number().int(),
    blocked: z.number().int(),
    autoMerge: z.boolean(),
  }),
  /** New audit entries were committed (the audit view pages them in with `audit/query` and a cursor). */
  'audit/appended': z.object({ firstSeq: z.number().int(), lastSeq: z.number().int() }),
  /** Disk space or database size crossed a configured threshold, or a write failed. */
  'audit/warning': StorageWarning,
  /** A scheduled task changed state (submitted, started, paused, resumed, finished): the Tasks view updates from it. */
  'tasks/changed': TaskInfo,
  /** A workflow session moved, was refused a move, or switched mode (the record says which). */
  'workflow/changed': z.object({ session: SessionSnapshot, record: TransitionRecord }),
  /** A model turn for VS Code's language models (provider `vscode-lm`): the window that started the task answers. */
  'lm/request': LmRequest,
  /** The kernel no longer wants the answer (the task was cancelled or the turn timed out). */
  'lm/cancel': z.object({ requestId: LmRequestId }),
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventData<E extends EventName> = z.infer<Events[E]>;

export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(events, name);
}
