// Agent task methods: start a task, cancel it, answer an approval request.
import { z } from 'zod';
import { AgentMode, Budgets, ProviderName } from '../agent';

export const TaskId = z.string().regex(/^task_[A-Za-z0-9_-]{1,64}$/);

export const agentMethods = {
  'task/start': [
    z.object({
      prompt: z.string().min(1).max(200_000),
      provider: ProviderName.optional(),
      model: z.string().min(1).max(200).optional(),
      mode: AgentMode.optional(),
      budgets: Budgets.optional(),
    }),
    z.object({ taskId: TaskId }),
  ],
  'task/cancel': [
    z.object({ taskId: TaskId }),
    z.object({ cancelled: z.boolean() }),
  ],
  'task/approve': [
    z.object({ taskId: TaskId, requestId: z.string().min(1).max(128), decision: z.enum(['allow', 'deny']), note: z.string().max(2000).optional() }),
    z.object({ accepted: z.boolean() }),
  ],
} as const;
