// VS Code's language models (vscode.lm) as a provider: they live only in the extension host, so the kernel asks the
// extension for each model turn (event lm/request) and the extension streams the answer back (lm/respond).
import { z } from 'zod';
import { ChatMessage, StreamEvent, ToolDefinition } from '../agent';

export const LmRequestId = z.string().regex(/^lm_[a-z0-9]{8,32}$/);

/** One model turn the kernel asks the extension host for (pushed as the `lm/request` event). */
export const LmRequest = z.object({
  requestId: LmRequestId,
  /** The task it is for: the window that started the task answers. */
  taskId: z.string().min(1).max(128),
  /** A vscode.lm model id, or `auto` (the first model VS Code offers). */
  model: z.string().min(1).max(200),
  system: z.string().max(200_000).optional(),
  messages: z.array(ChatMessage).max(10_000),
  tools: z.array(ToolDefinition).max(1000),
  maxOutputTokens: z.number().int().positive().optional(),
});
export type LmRequest = z.infer<typeof LmRequest>;

export const lmMethods = {
  /**
   * A slice of the answer to an lm/request, in order: an empty slice first acknowledges it (the kernel gives up on a
   * request nobody acknowledges), `done` ends it. Validated like any provider's stream and size-capped by the kernel.
   */
  'lm/respond': [
    z.object({ requestId: LmRequestId, events: z.array(StreamEvent).max(1000), done: z.boolean() }),
    z.object({ accepted: z.boolean() }),
  ],
} as const;
