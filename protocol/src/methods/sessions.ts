// Stored task sessions: the transcript (every task event), what it cost, and the patch set it produced.
import { z } from 'zod';
import { AgentMode, ProviderName, TaskEvent, TaskStatus } from '../agent';

export const SessionSummary = z.object({
  taskId: z.string(),
  prompt: z.string(),
  provider: ProviderName,
  model: z.string(),
  mode: AgentMode.nullable(),
  createdAt: z.number(),
  finishedAt: z.number().nullable(),
  /** null while the task runs (or when the kernel stopped before it finished). */
  status: TaskStatus.nullable(),
  message: z.string().nullable(),
  totalTokens: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
  patchSetId: z.string().nullable(),
  /** The session this one continues (`sessions resume`), if any. */
  continues: z.string().nullable(),
  events: z.number().int().nonnegative(),
});
export type SessionSummary = z.infer<typeof SessionSummary>;

export const StoredEvent = z.object({ seq: z.number().int().nonnegative(), at: z.number(), event: TaskEvent });
export type StoredEvent = z.infer<typeof StoredEvent>;

const TaskRef = z.object({ taskId: z.string().min(1).max(128) });

export const sessionsMethods = {
  /** Newest first. */
  'sessions/list': [z.object({ limit: z.number().int().min(1).max(1000).default(50) }), z.object({ sessions: z.array(SessionSummary) })],
  /** One session with its whole transcript (text deltas of a turn are stored merged). */
  'sessions/show': [TaskRef, z.object({ session: SessionSummary, events: z.array(StoredEvent) })],
  /** Deletes the stored transcript (recorded in the audit log first); the audit entries of the task stay. */
  'sessions/delete': [TaskRef, z.object({ deleted: z.boolean() })],
} as const;
