// Agent schemas shared by kernel, CLI and UI: normalised provider stream events, tool calls/results, conversation, task events.
import { z } from 'zod';
import { ErrorPayload } from './errors';
import { ExemptionKind, GuardName, WorkflowState } from './workflow';

/** Why a model turn ended, the same words for every vendor. */
export const FinishReason = z.enum(['stop', 'tool-calls', 'length', 'content-filter', 'error', 'cancelled']);
export type FinishReason = z.infer<typeof FinishReason>;

export const Usage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cachedInputTokens: z.number().int().nonnegative().optional(),
});
export type Usage = z.infer<typeof Usage>;

/**
 * One normalised event of a provider's stream. Tool calls are identified by `index` (their position in the turn, stable
 * across vendors) and `id` (the vendor's id, or a generated `call_<n>` when the vendor sends none, e.g. Gemini).
 */
export const StreamEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text-delta'), text: z.string() }),
  z.object({ type: z.literal('tool-call-start'), index: z.number().int().nonnegative(), id: z.string(), name: z.string() }),
  z.object({ type: z.literal('tool-call-delta'), index: z.number().int().nonnegative(), id: z.string(), argumentsDelta: z.string() }),
  z.object({
    type: z.literal('tool-call-end'),
    index: z.number().int().nonnegative(),
    id: z.string(),
    name: z.string(),
    arguments: z.string(),
  }),
  z.object({ type: z.literal('usage'), usage: Usage }),
  z.object({ type: z.literal('finish'), reason: FinishReason }),
  z.object({ type: z.literal('error'), error: ErrorPayload, retryable: z.boolean() }),
]);
export type StreamEvent = z.infer<typeof StreamEvent>;

/** One line of a replay file: the events of one model turn and a digest of the request that produced them. */
export const ReplayTurn = z.object({
  turn: z.number().int().positive(),
  /** sha256 of the request's model, messages and tool names; replay warns when a new run asks something else. */
  request: z.string().optional(),
  events: z.array(StreamEvent),
});
export type ReplayTurn = z.infer<typeof ReplayTurn>;

export const ToolCall = z.object({
  id: z.string().min(1).max(256),
  name: z.string().min(1).max(128),
  /** Raw JSON text as the model produced it; the router parses and validates it against the tool's schema. */
  arguments: z.string(),
});
export type ToolCall = z.infer<typeof ToolCall>;

export const ToolResult = z.object({
  toolCallId: z.string(),
  name: z.string(),
  ok: z.boolean(),
  /** What the model sees: already sanitised and size-capped. */
  content: z.string(),
  truncated: z.boolean().default(false),
  error: ErrorPayload.optional(),
  durationMs: z.number().nonnegative().optional(),
});
export type ToolResult = z.infer<typeof ToolResult>;

/** Wire form of a tool definition: JSON-schema input generated from the tool's zod schema. */
export const ToolDefinition = z.object({
  name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_.-]{0,63}$/),
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
  capabilities: z.array(z.string()),
});
export type ToolDefinition = z.infer<typeof ToolDefinition>;

/** Normalised conversation, translated by each provider adapter into its vendor's message format. */
/** Images a person attaches to a prompt (pasted or picked in the chat): base64, each and all together size-capped. */
export const ImageMediaType = z.enum(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
export type ImageMediaType = z.infer<typeof ImageMediaType>;
export const MAX_IMAGES = 4;
/** Decoded bytes: one image, and all of a prompt's (they travel in every model request of the task, whose frame to the
 * provider sandbox is capped at 4 MiB: provider-worker/frames.ts). */
export const MAX_IMAGE_BYTES = 1_500_000;
export const MAX_IMAGES_BYTES = 2_000_000;
export const ImageInput = z.object({
  mediaType: ImageMediaType,
  data: z
    .string()
    .min(4)
    .max(Math.ceil(MAX_IMAGE_BYTES / 3) * 4)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
});
export type ImageInput = z.infer<typeof ImageInput>;
/** Decoded size of base64 text. */
export const base64Bytes = (data: string): number =>
  Math.floor((data.length * 3) / 4) - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0);

export const ChatMessage = z.discriminatedUnion('role', [
  z.object({ role: z.literal('user'), content: z.string(), images: z.array(ImageInput).max(MAX_IMAGES).optional() }),
  z.object({ role: z.literal('assistant'), content: z.string(), toolCalls: z.array(ToolCall).default([]) }),
  z.object({ role: z.literal('tool'), toolCallId: z.string(), name: z.string(), content: z.string(), isError: z.boolean().default(false) }),
]);
export type ChatMessage = z.infer<typeof ChatMessage>;

/** `vscode-lm`: VS Code's own language models (vscode.lm), called by the extension host for the kernel (methods/lm.ts). */
export const ProviderName = z.enum(['openai', 'openai-responses', 'anthropic', 'google', 'openai-compatible', 'replay', 'vscode-lm']);
export type ProviderName = z.infer<typeof ProviderName>;

export const AgentMode = z.enum(['strict', 'explore', 'debug']);
export type AgentMode = z.infer<typeof AgentMode>;

export const Budgets = z.object({
  maxTokens: z.number().int().positive().optional(),
  maxCostUsd: z.number().positive().optional(),
  maxTurns: z.number().int().positive().optional(),
  maxWallMs: z.number().int().positive().optional(),
});
export type Budgets = z.infer<typeof Budgets>;

export const TaskStatus = z.enum(['completed', 'cancelled', 'budget-exceeded', 'failed']);
export type TaskStatus = z.infer<typeof TaskStatus>;

/**
 * The task's workflow session changed (docs/workflow.md "Tasks obey their mode"): `start` / `resume` at task start,
 * `transition` when a guard let the session move, `refused` when a guard refused a transition, `blocked` when an edit
 * was refused because of the session's state (`guard` names the guard that must pass first). `state` is the state after
 * the change; `next` the states reachable from it.
 */
export const WorkflowTaskEvent = z.object({
  type: z.literal('workflow'),
  sessionId: z.string(),
  mode: AgentMode,
  state: WorkflowState,
  change: z.enum(['start', 'resume', 'transition', 'refused', 'blocked']),
  from: WorkflowState.optional(),
  to: WorkflowState.optional(),
  guard: GuardName.optional(),
  reason: z.string().optional(),
  /** A TDD exemption the transition used (docs-only, config, generated, waiver) with its reason. */
  exemption: z.object({ kind: ExemptionKind, reason: z.string() }).optional(),
  /** Paths of a blocked edit. */
  paths: z.array(z.string()).optional(),
  next: z.array(WorkflowState).default([]),
});
export type WorkflowTaskEvent = z.infer<typeof WorkflowTaskEvent>;

/** What the UI (chat view, CLI) sees of a running task. */
export const TaskEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('turn-start'), turn: z.number().int().positive() }),
  z.object({ type: z.literal('text-delta'), text: z.string() }),
  z.object({ type: z.literal('tool-call'), call: ToolCall }),
  z.object({ type: z.literal('tool-result'), result: ToolResult }),
  z.object({ type: z.literal('approval-request'), requestId: z.string(), call: ToolCall, reason: z.string() }),
  z.object({ type: z.literal('usage'), usage: Usage, totalTokens: z.number().int().nonnegative(), costUsd: z.number().nonnegative() }),
  z.object({
    type: z.literal('retry'),
    attempt: z.number().int().positive(),
    delayMs: z.number().nonnegative(),
    reason: z.string(),
    discardPartial: z.boolean(),
  }),
  z.object({
    type: z.literal('context-trimmed'),
    droppedMessages: z.number().int().nonnegative(),
    summaryTokens: z.number().int().nonnegative(),
  }),
  z.object({ type: z.literal('finished'), status: TaskStatus, message: z.string(), error: ErrorPayload.optional() }),
  WorkflowTaskEvent,
]);
export type TaskEvent = z.infer<typeof TaskEvent>;
