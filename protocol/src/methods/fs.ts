// Read-only file methods served by the kernel's native fast path.
import { z } from 'zod';

export const MAX_PATH_LENGTH = 4096;
export const WorkspacePath = z.string().min(1).max(MAX_PATH_LENGTH);

export const fsMethods = {
  'fs/read': [
    z.object({
      path: WorkspacePath,
      maxBytes: z
        .number()
        .int()
        .positive()
        .max(64 * 1024 * 1024)
        .optional(),
      /**
       * The content goes to the model (a chat's @file / #selection context): judged as the agent's own read (subject
       * `agent:context`), so what the policy keeps from the model (secrets such as .env) is refused with its reason.
       */
      forModel: z.boolean().optional(),
    }),
    z.object({
      path: z.string(),
      content: z.string(),
      encoding: z.enum(['utf8', 'base64']),
      size: z.number().int(),
      truncated: z.boolean(),
    }),
  ],
} as const;
