// Sandbox methods: list, create, exec in, pause, resume, destroy and prune the kernel's L2 sandboxes; size warm pools.
import { z } from 'zod';
import { ErrorPayload } from '../errors';

/** Most ready sandboxes a template's warm pool may keep (the template schema's bound). */
export const MAX_POOL_SIZE = 32;

export const SandboxStateName = z.enum(['requested', 'creating', 'ready', 'running', 'paused', 'stopping', 'destroyed', 'failed']);

export const SandboxMount = z.object({
  type: z.enum(['bind', 'volume']),
  /** Host path (bind, must be read-only) or volume name (volume, e.g. patch mode's overlay output volume). */
  source: z.string().min(1).max(4096),
  target: z.string().startsWith('/').max(4096),
  readOnly: z.boolean(),
});

export const SandboxInfo = z.object({
  id: z.string(),
  template: z.string(),
  session: z.string(),
  state: SandboxStateName,
  containerId: z.string().optional(),
  image: z.string(),
  engine: z.string(),
  createdAt: z.number(),
  deadline: z.number(),
  mounts: z.array(SandboxMount),
  reason: z.string().optional(),
  /** The scheduler task it works for. */
  task: z.string().optional(),
  /** While paused: by a person (`sandbox/pause`) or by preemption. */
  pausedBy: z.enum(['request', 'preemption']).optional(),
});
export type SandboxInfo = z.infer<typeof SandboxInfo>;

export const SandboxExecResult = z.object({
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  error: z.string().optional(),
  stdout: z.string(),
  stderr: z.string(),
  truncated: z.boolean(),
  timedOut: z.boolean(),
  oomKilled: z.boolean(),
  durationMs: z.number(),
  via: z.enum(['agent', 'docker-exec']),
});
export type SandboxExecResult = z.infer<typeof SandboxExecResult>;

/** Whether a template can make sandboxes: its image (or why there is none) and its warm pool's state. */
export const SandboxTemplateHealth = z.object({
  image: z.string().optional(),
  /** E.g. SANDBOX_NO_IMAGE when its recipe was never built for this engine. */
  imageError: ErrorPayload.optional(),
  /** Target size, ready sandboxes now, and the last error met while filling (cleared by a fill that succeeds). */
  pool: z.object({ target: z.number().int(), ready: z.number().int(), error: z.string().optional() }),
});
export type SandboxTemplateHealth = z.infer<typeof SandboxTemplateHealth>;

export const sandboxMethods = {
  'sandbox/list': [z.object({}), z.object({ sandboxes: z.array(SandboxInfo), templates: z.array(z.string()), engine: z.string() })],
  'sandbox/create': [
    z.object({
      template: z.string().min(1).max(64),
      mounts: z.array(SandboxMount).max(16).optional(),
      /** Scratch volumes from the volume pool, mounted writable at these targets. */
      volumes: z.array(z.string().startsWith('/')).max(8).optional(),
      env: z.record(z.string(), z.string()).optional(),
      deadlineSeconds: z
        .number()
        .int()
        .positive()
        .max(7 * 24 * 3600)
        .optional(),
      /** The scheduler task it works for (preemption pauses or destroys a task's sandboxes together). */
      task: z.string().min(1).max(128).optional(),
    }),
    SandboxInfo,
  ],
  'sandbox/exec': [
    z.object({
      id: z.string().min(1).max(64),
      argv: z
        .array(z.string().max(128 * 1024))
        .min(1)
        .max(4096),
      cwd: z.string().startsWith('/').optional(),
      env: z.record(z.string(), z.string()).optional(),
      /** Standard input, base64. */
      stdin: z
        .string()
        .max(16 * 1024 * 1024)
        .optional(),
      timeoutMs: z
        .number()
        .int()
        .positive()
        .max(24 * 3600 * 1000)
        .optional(),
      via: z.enum(['agent', 'docker-exec']).optional(),
    }),
    SandboxExecResult,
  ],
  'sandbox/destroy': [z.object({ id: z.string().min(1).max(64) }), SandboxInfo],
  /** Freezes every process in the sandbox (engine pause); a command in flight carries on after resume. */
  'sandbox/pause': [z.object({ id: z.string().min(1).max(64) }), SandboxInfo],
  'sandbox/resume': [z.object({ id: z.string().min(1).max(64) }), SandboxInfo],
  /**
   * Warm pool sizes per template: sets the given ones at runtime (shrinking destroys surplus ready sandboxes, growing
   * fills in the background) and returns every template's effective size (all 0 when pools are off: AIRLOCK_SANDBOX_POOLS=0)
   * and its health (image found, pool filled or why not: what doctor and the status bar report).
   */
  'sandbox/pools': [
    z.object({ sizes: z.record(z.string().min(1).max(64), z.number().int().min(0).max(MAX_POOL_SIZE)).optional() }),
    z.object({ sizes: z.record(z.string(), z.number().int()), enabled: z.boolean(), health: z.record(z.string(), SandboxTemplateHealth) }),
  ],
  'sandbox/prune': [
    z.object({}),
    z.object({ destroyed: z.array(z.string()), containers: z.array(z.string()), volumes: z.array(z.string()) }),
  ],
} as const;
