// Kernel-level methods: liveness and self-description.
import { z } from 'zod';

export const kernelMethods = {
  'kernel/ping': [
    z.object({ nonce: z.string().max(128).optional() }),
    z.object({ pong: z.literal(true), nonce: z.string().optional(), time: z.number() }),
  ],
  'kernel/info': [
    z.object({}),
    z.object({
      version: z.string(),
      protocol: z.number().int(),
      pid: z.number().int(),
      startedAt: z.number(),
      workspace: z.string(),
      stateDir: z.string(),
      inContainer: z.boolean(),
      node: z.string(),
      /** Where the kernel found its own files (the asset resolver) and the folder its built-in policy protects. */
      assets: z
        .object({
          layout: z.enum(['sources', 'bundle', 'image']),
          kernelDir: z.string(),
          policiesDir: z.string(),
          sandboxTemplatesDir: z.string(),
          deno: z.boolean(),
        })
        .optional(),
      /** uid:gid sandboxes run as unless a template names its own user. */
      sandboxUser: z.string().optional(),
    }),
  ],
} as const;
