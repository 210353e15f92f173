// Server-pushed events and their payload schemas, by name.
import { z } from 'zod';
import { TaskEvent } from './agent';

export const events = {
  'kernel/log': z.object({ level: z.enum(['debug', 'info', 'warn', 'error']), message: z.string() }),
  'task/event': z.object({ taskId: z.string(), seq: z.number().int().nonnegative(), event: TaskEvent }),
  /** A patch set is ready for review (or, with autoMerge, accepted by the auto-merge criteria for the host to apply). */
  'patches/ready': z.object({ setId: z.string(), taskId: z.string().optional(), files: z.number().int(), blocked: z.number().int(), autoMerge: z.boolean() }),
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventData<E extends EventName> = z.infer<Events[E]>;

export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(events, name);
}
