// Read-only file methods served by the kernel's native fast path.
import { z } from 'zod';

export const MAX_PATH_LENGTH = 4096;
export const WorkspacePath = z.string().min(1).max(MAX_PATH_LENGTH);

export const fsMethods = {
  'fs/read': [
    z.object({ path: WorkspacePath, maxBytes: z.number().int().positive().max(64 * 1024 * 1024).optional() }),
    z.object({ path: z.string(), content: z.string(), encoding: z.enum(['utf8', 'base64']), size: z.number().int(), truncated: z.boolean() }),
  ],
} as const;
