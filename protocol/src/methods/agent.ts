// Agent task methods: start a task, cancel it, answer an approval request, hand the kernel a provider's API key.
import { z } from 'zod';
import { AgentMode, base64Bytes, Budgets, ImageInput, MAX_IMAGES, MAX_IMAGES_BYTES, ProviderName } from '../agent';
import { AutoMergeCriteria, PatchSetId } from '../patches';

export const TaskId = z.string().regex(/^task_[A-Za-z0-9_-]{1,64}$/);

/**
 * An approval answer: `allow` runs this one call; `allow-session` runs it and mints a capability token (policy
 * TokenService) for the same subject + action + resource pattern, so identical asks in this task are allowed without
 * asking again (a token never overrides a deny); `deny` returns an error result the model sees.
 */
export const ApprovalDecision = z.enum(['allow', 'allow-session', 'deny']);
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

/** One earlier exchange of a conversation: what the person said, or the agent's answer. */
export const HistoryTurn = z.object({ role: z.enum(['user', 'assistant']), text: z.string().min(1).max(100_000) });
export type HistoryTurn = z.infer<typeof HistoryTurn>;
/** All of a task's history together, in characters: the client trims the oldest turns to fit. */
export const MAX_HISTORY_CHARS = 400_000;

export const TaskStartParams = z.object({
  prompt: z.string().min(1).max(200_000),
  /**
   * The conversation so far (oldest first), for a follow-up in a chat: the kernel gives it to the model as earlier turns
   * before `prompt`. Bounded (200 turns, 400 000 characters); when the model's context fills, these go first (summarised).
   */
  history: z
    .array(HistoryTurn)
    .max(200)
    .refine((h) => h.reduce((n, t) => n + t.text.length, 0) <= MAX_HISTORY_CHARS, `history is over ${MAX_HISTORY_CHARS} characters`)
    .optional(),
  /**
   * Images given with the prompt (the chat's pasted or attached ones), for providers that take images; a task whose
   * provider takes none is refused (AGENT_IMAGES_UNSUPPORTED). At most 4, together 2,000,000 bytes decoded.
   */
  images: z
    .array(ImageInput)
    .min(1)
    .max(MAX_IMAGES)
    .refine((a) => a.reduce((n, i) => n + base64Bytes(i.data), 0) <= MAX_IMAGES_BYTES, `images are over ${MAX_IMAGES_BYTES} bytes together`)
    .optional(),
  /**
   * The conversation's patch sets so far (a chat follow-up), oldest first. The task's output volume starts as the
   * newest of them not wholly rejected, less what the person rejected or already merged, so the agent sees (reads, runs
   * its tests on) what it proposed in earlier turns; its own set then holds the conversation's whole proposal. A rewind
   * rejects the dropped turns' sets, so the next turn starts from the turn it went back to. Unknown ids are skipped.
   */
  proposal: z.array(PatchSetId).max(200).optional(),
  /** The stored session this task continues (`airlock sessions resume`): recorded with the new session. */
  continues: z.string().min(1).max(128).optional(),
  /** Default: `replay` when `replay` is given, otherwise the provider configured with provider/configure. */
  provider: ProviderName.optional(),
  model: z.string().min(1).max(200).optional(),
  /** OpenAI-compatible servers (Ollama, llama.cpp, vLLM, LM Studio) or a proxy; overrides provider/configure's. */
  baseUrl: z.string().url().max(2048).optional(),
  mode: AgentMode.optional(),
  budgets: Budgets.optional(),
  /** Replay file for the `replay` provider: workspace-relative, or absolute under /opt/airlock/examples. */
  replay: z.string().min(1).max(4096).optional(),
  /** Record the model traffic to `<state>/recordings/<taskId>.jsonl` (the result says where). */
  record: z.boolean().optional(),
  /**
   * Run in this existing workflow session (resumed in its persisted state, e.g. after a kernel restart) instead of a
   * new one; its mode is the task's mode (a different `mode` here switches it, recorded as a person's switch).
   */
  sessionId: z.string().min(1).max(128).optional(),
  /**
   * A chat turn (VS Code's chat, `airlock chat`): when it ends completed, its provider worker is kept for the next turn
   * of the same workflow session, which reuses it (no sandbox to take, no process to boot). One-shot tasks leave it out.
   */
  chat: z.boolean().optional(),
  /**
   * Auto-merge criteria (from the person's settings or CLI flags): when given and enabled, the kernel evaluates them on
   * the task's patch set (never in strict mode; the policy's `patch.apply` rules can refuse), audits `review.automerge`,
   * and when allowed sends `patches/ready` again with `autoMerge: true` — the host then applies the set.
   */
  autoMerge: AutoMergeCriteria.optional(),
});
export type TaskStartParams = z.infer<typeof TaskStartParams>;

/**
 * What a rewind did to one dropped turn's patch set: `withdrawn` (every file rejected, so it leaves review),
 * `already-rejected`, `merged` (part or all of it is in the workspace: a rewind never moves the workspace), `none` (the
 * turn produced no patch set).
 */
export const RewindOutcome = z.enum(['withdrawn', 'already-rejected', 'merged', 'none']);
export type RewindOutcome = z.infer<typeof RewindOutcome>;
export const TaskRewindParams = z.object({
  /** The turns (tasks) the conversation drops, each one's patch set withdrawn from review. */
  tasks: z.array(TaskId).min(1).max(200),
  /** Why (shown in the audit entry and the withdrawn sets' review note). */
  reason: z.string().max(2000).optional(),
});
export type TaskRewindParams = z.infer<typeof TaskRewindParams>;
export const TaskRewindResult = z.object({
  turns: z.array(z.object({ taskId: TaskId, setId: PatchSetId.nullable(), outcome: RewindOutcome })),
});
export type TaskRewindResult = z.infer<typeof TaskRewindResult>;

export const agentMethods = {
  /**
   * Starts a task; progress arrives as `task/event` events (seq from 0). When the task has edits, `patches/ready`
   * (with this taskId) is sent BEFORE the final `finished` task event, so a client can stop listening at `finished`.
   */
  'task/start': [
    TaskStartParams,
    z.object({
      taskId: TaskId,
      provider: ProviderName,
      model: z.string(),
      recordFile: z.string().optional(),
      sessionId: z.string().optional(),
    }),
  ],
  'task/cancel': [z.object({ taskId: TaskId }), z.object({ cancelled: z.boolean() })],
  'task/approve': [
    z.object({ taskId: TaskId, requestId: z.string().min(1).max(128), decision: ApprovalDecision, note: z.string().max(2000).optional() }),
    z.object({ accepted: z.boolean() }),
  ],
  /**
   * Rewinds a conversation: the given turns (tasks, none of them running) are dropped, and the patch set each produced
   * (its output volume's snapshot, kept in the state volume) is withdrawn from review, so the proposal is what it was
   * before them. Recorded (`task.rewind`) before anything changes; the workspace never moves; transcripts stay in the
   * sessions store and the audit log.
   */
  'task/rewind': [TaskRewindParams, TaskRewindResult],
  /** API key / base URL for a provider, kept in kernel memory only and redacted everywhere (never logged or audited). */
  'provider/configure': [
    z.object({ provider: ProviderName, apiKey: z.string().min(1).max(4096).optional(), baseUrl: z.string().url().max(2048).optional() }),
    z.object({ configured: z.boolean() }),
  ],
} as const;
