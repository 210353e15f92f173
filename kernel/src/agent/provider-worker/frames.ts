// The provider worker's wire: newline-delimited JSON frames between the kernel and the worker in an ai-provider sandbox.
// Both directions are zod schemas; the kernel validates and size-caps every frame from below (the sandbox is untrusted).
import { z } from 'zod';
import { ChatMessage, StreamEvent, ToolDefinition } from '../../../../protocol/src/agent';
import { ErrorPayload } from '../../../../protocol/src/errors';

/** The vendors the worker speaks (replay never leaves the kernel). */
export const WorkerVendor = z.enum(['openai', 'openai-responses', 'anthropic', 'google', 'openai-compatible']);
export type WorkerVendor = z.infer<typeof WorkerVendor>;

export const WorkerRequest = z.object({
  model: z.string(),
  system: z.string().optional(),
  messages: z.array(ChatMessage),
  tools: z.array(ToolDefinition),
  maxOutputTokens: z.number().int().positive().optional(),
  temperature: z.number().optional(),
});

/** Kernel → worker. */
export const ToWorker = z.discriminatedUnion('t', [
  z.object({ t: z.literal('request'), id: z.string().min(1).max(64), vendor: WorkerVendor, request: WorkerRequest }),
  z.object({ t: z.literal('abort'), id: z.string().min(1).max(64) }),
]);
export type ToWorker = z.infer<typeof ToWorker>;

/** Worker → kernel: `ready` once, then per request its events, and `end` (stream done) or `fail` (thrown before any). */
export const FromWorker = z.discriminatedUnion('t', [
  z.object({ t: z.literal('ready') }),
  z.object({ t: z.literal('event'), id: z.string().max(64), event: StreamEvent }),
  z.object({ t: z.literal('end'), id: z.string().max(64) }),
  z.object({ t: z.literal('fail'), id: z.string().max(64), error: ErrorPayload }),
]);
export type FromWorker = z.infer<typeof FromWorker>;

/** What a worker may say about a failure: only these fields of its details are believed (retry uses them). */
export const WorkerErrorDetails = z.object({
  retryable: z.boolean(),
  status: z.number().int().min(100).max(599).optional(),
  retryAfterMs: z
    .number()
    .int()
    .nonnegative()
    .max(24 * 3600_000)
    .optional(),
});

/** Largest frame the kernel reads from a worker (a tool call's whole arguments travel in one `tool-call-end`). */
export const MAX_WORKER_FRAME = 4 * 1024 * 1024;
/** Largest total a worker may stream for one model turn. */
export const MAX_WORKER_TURN = 64 * 1024 * 1024;

/** Splits a byte stream into lines, refusing a line over `max` bytes (before it is held whole). */
export class LineSplitter {
  private chunks: Buffer[] = [];
  private held = 0;
  constructor(
    private readonly max: number,
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: () => void,
  ) {}

  push(b: Buffer): void {
    let start = 0;
    for (let nl = b.indexOf(10, start); nl !== -1; nl = b.indexOf(10, start)) {
      if (this.held + (nl - start) > this.max) return this.onTooLong();
      this.chunks.push(b.subarray(start, nl));
      const line = Buffer.concat(this.chunks).toString('utf8');
      this.chunks = [];
      this.held = 0;
      start = nl + 1;
      this.onLine(line);
    }
    const rest = b.subarray(start);
    this.held += rest.length;
    if (this.held > this.max) return this.onTooLong();
    if (rest.length) this.chunks.push(rest);
  }
}
