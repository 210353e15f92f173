// The one message protocol between the extension host and its webviews (chat, audit); both sides validate every message.
import { z } from 'zod';
import { AgentMode, ImageInput, MAX_IMAGES, ToolResult } from './agent';
import { AuditEntry, AuditFilter, AuditPage, AuditStats, AuditVerifyReport } from './audit';
import { ErrorPayload } from './errors';

export const ViewKind = z.enum(['chat', 'audit']);
export type ViewKind = z.infer<typeof ViewKind>;

/** What the policy engine said about a tool call, when the kernel reports it. */
export const PolicyVerdict = z.object({
  decision: z.enum(['allow', 'deny', 'ask']),
  rule: z.string().optional(),
  reason: z.string().optional(),
});

/**
 * What an approval is about, shown so the person decides informed: an edit as a unified diff against the workspace file
 * (capped; the full diff opens in VS Code's diff editor), a command as its parsed argv.
 */
export const ApprovalPreview = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('diff'),
    path: z.string().max(4096),
    unified: z.string().max(200_000),
    added: z.number().int(),
    removed: z.number().int(),
    newFile: z.boolean(),
    truncated: z.boolean(),
    /** Why the diff may differ from what the task sees (its earlier edits are in its output volume, not the workspace). */
    caveat: z.string().max(500).optional(),
  }),
  z.object({
    kind: z.literal('command'),
    argv: z.array(z.string()).max(1000),
    line: z.string().max(20_000),
    cwd: z.string().max(4096).optional(),
  }),
]);
export type ApprovalPreview = z.infer<typeof ApprovalPreview>;

/** One entry of a chat transcript; the host owns the model, the webview renders it. */
export const ChatItem = z.discriminatedUnion('type', [
  /** `taskId`: the task this message started (Rewind to here drops it and every later one). */
  z.object({
    type: z.literal('user'),
    id: z.string(),
    text: z.string(),
    time: z.number(),
    taskId: z.string().optional(),
    /** What the message attached for the model (`@src/a.ts`, `#selection (a.ts:3-9)`, `#problems (4)`). */
    context: z.array(z.string().max(4200)).max(25).optional(),
  }),
  z.object({ type: z.literal('assistant'), id: z.string(), text: z.string(), streaming: z.boolean() }),
  z.object({
    type: z.literal('tool'),
    id: z.string(),
    name: z.string(),
    arguments: z.string(),
    status: z.enum(['running', 'awaiting-approval', 'done', 'error', 'denied']),
    result: ToolResult.optional(),
    verdict: PolicyVerdict.optional(),
  }),
  z.object({
    type: z.literal('approval'),
    id: z.string(),
    taskId: z.string(),
    callId: z.string(),
    toolName: z.string(),
    arguments: z.string(),
    reason: z.string(),
    state: z.enum(['pending', 'allowed', 'allowed-session', 'denied', 'expired']),
    note: z.string().optional(),
    preview: ApprovalPreview.optional(),
  }),
  z.object({ type: z.literal('notice'), id: z.string(), level: z.enum(['info', 'warn', 'error']), text: z.string() }),
  z.object({
    type: z.literal('patchset'),
    id: z.string(),
    setId: z.string(),
    files: z.number().int(),
    added: z.number().int(),
    removed: z.number().int(),
    /** Changes the kernel refused to propose (protected paths...), and whether the auto-merge criteria accepted the set. */
    blocked: z.number().int().default(0),
    autoMerge: z.boolean().default(false),
    /**
     * Where review left it (absent: ready for review); `partly-merged`: some merged, the rest rejected or still open;
     * `superseded`: a later turn's set holds what is still open of it (a follow-up starts from the proposal).
     */
    state: z.enum(['ready', 'merged', 'partly-merged', 'rejected', 'superseded']).optional(),
  }),
]);
export type ChatItem = z.infer<typeof ChatItem>;

export const ChatUsage = z.object({
  totalTokens: z.number().nonnegative(),
  costUsd: z.number().nonnegative(),
  maxTokens: z.number().optional(),
  maxCostUsd: z.number().optional(),
});
export type ChatUsage = z.infer<typeof ChatUsage>;

export const ChatSessionSummary = z.object({ id: z.string(), title: z.string(), updatedAt: z.number(), items: z.number().int() });
export type ChatSessionSummary = z.infer<typeof ChatSessionSummary>;

/** Which approval answers this kernel understands (derived from the protocol's task/approve schema). */
export const ApprovalChoices = z.object({ allowOnce: z.boolean(), allowSession: z.boolean(), deny: z.boolean() });
export type ApprovalChoices = z.infer<typeof ApprovalChoices>;

/** A live provider the first-run form offers (`replay` is the "Try it with a recorded session" button instead). */
/** `vscode-lm` is offered only when VS Code has language models (ChatSetup `vscodeModels`). */
export const SetupProvider = z.enum(['openai', 'openai-responses', 'anthropic', 'google', 'openai-compatible', 'vscode-lm']);
export type SetupProvider = z.infer<typeof SetupProvider>;

/** Why the chat shows its first-run form, and what it knows already (never a key). */
export const ChatSetup = z.object({
  reason: z.string().max(500),
  provider: SetupProvider.optional(),
  model: z.string().max(200).optional(),
  baseUrl: z.string().max(2048).optional(),
  /** Suggested models per provider (the person may type any). */
  models: z.record(z.string(), z.array(z.string().max(200)).max(20)),
  /** The models VS Code offers (vscode.lm), when it has any: then the form offers them, no key needed. */
  vscodeModels: z.array(z.string().max(200)).max(50).optional(),
});
export type ChatSetup = z.infer<typeof ChatSetup>;

/** What the first-run form sends: the key goes to SecretStorage, the rest to the user's (global) settings. */
export const SetupAnswer = z.object({
  provider: SetupProvider,
  model: z.string().trim().max(200).optional(),
  apiKey: z.string().trim().max(4096).optional(),
  baseUrl: z.string().trim().url().max(2048).optional(),
});
export type SetupAnswer = z.infer<typeof SetupAnswer>;

export const ChatSnapshot = z.object({
  sessionId: z.string(),
  title: z.string(),
  items: z.array(ChatItem),
  running: z.boolean(),
  taskId: z.string().nullable(),
  mode: AgentMode,
  usage: ChatUsage,
  sessions: z.array(ChatSessionSummary),
  approvals: ApprovalChoices,
  /** Why chat cannot run tasks right now (no kernel, untrusted...), shown in place of the input. */
  unavailable: z.string().nullable(),
  /** The session's unsent text (kept by the host: it survives reloads and session switches). */
  draft: z.string().max(200_000).optional(),
  /** Present when no model can run a task yet: the chat shows its first-run form. */
  setup: ChatSetup.optional(),
});
export type ChatSnapshot = z.infer<typeof ChatSnapshot>;

/** Small edits to the transcript so streaming does not resend the whole session on each token. */
export const ChatOp = z.discriminatedUnion('type', [
  z.object({ type: z.literal('upsert'), item: ChatItem }),
  z.object({ type: z.literal('append'), id: z.string(), text: z.string() }),
  z.object({ type: z.literal('status'), running: z.boolean(), taskId: z.string().nullable() }),
  z.object({ type: z.literal('usage'), usage: ChatUsage }),
  z.object({ type: z.literal('mode'), mode: AgentMode }),
]);
export type ChatOp = z.infer<typeof ChatOp>;

export const ApprovalAnswer = z.enum(['allow-once', 'allow-session', 'deny']);
export type ApprovalAnswer = z.infer<typeof ApprovalAnswer>;

export const AuditQueryRequest = z.object({
  requestId: z.number().int().nonnegative(),
  filter: AuditFilter,
  cursor: z.number().int().nonnegative().optional(),
  limit: z.number().int().min(1).max(5000),
});
export type AuditQueryRequest = z.infer<typeof AuditQueryRequest>;

/** Webview → host. */
export const WebviewToHost = z.discriminatedUnion('type', [
  /** `seeded`: the page showed the first messages its HTML carried (FirstScreen), so the host need not send them again. */
  z.object({ type: z.literal('ready'), view: ViewKind, seeded: z.boolean().optional() }),
  /** `images`: pasted or attached in the composer (the kernel checks type, sizes and whether the provider takes them). */
  z.object({
    type: z.literal('chat/send'),
    text: z.string().min(1).max(200_000),
    images: z.array(ImageInput).min(1).max(MAX_IMAGES).optional(),
  }),
  z.object({ type: z.literal('chat/stop') }),
  z.object({ type: z.literal('chat/retry') }),
  z.object({ type: z.literal('chat/new') }),
  z.object({ type: z.literal('chat/openSession'), sessionId: z.string().max(128) }),
  z.object({
    type: z.literal('chat/approve'),
    requestId: z.string().max(128),
    answer: ApprovalAnswer,
    note: z.string().max(2000).optional(),
  }),
  z.object({ type: z.literal('chat/setMode'), mode: AgentMode }),
  z.object({ type: z.literal('chat/openPatchSet'), setId: z.string().max(128) }),
  /** "Merge accepted" on a patch-set card: Airlock: Merge Accepted Changes for that set. */
  z.object({ type: z.literal('chat/mergePatchSet'), setId: z.string().max(128) }),
  /** "Open diff" on an edit approval: the proposed change in VS Code's diff editor. */
  z.object({ type: z.literal('chat/openApprovalDiff'), requestId: z.string().max(128) }),
  /** The first-run form: provider, model, key, base URL. */
  z.object({ type: z.literal('chat/setup'), answer: SetupAnswer }),
  /** The first-run form's "Try it with a recorded session": one task replayed from Airlock's example recording. */
  z.object({ type: z.literal('chat/tryRecorded') }),
  /** "Rewind to here" on a message of yours: the conversation goes back to before it (later turns' patch sets withdrawn). */
  z.object({ type: z.literal('chat/rewind'), itemId: z.string().max(128) }),
  /** A code block's Copy (to the clipboard) or Insert (at the active editor's cursor, an unsaved edit the person sees). */
  z.object({ type: z.literal('chat/code'), action: z.enum(['copy', 'insert']), text: z.string().max(1_000_000) }),
  /** `@query` being typed in the composer: the host answers with chat/fileSuggestions. */
  z.object({ type: z.literal('chat/completeFile'), requestId: z.number().int().nonnegative(), query: z.string().max(500) }),
  /** The composer's "@ File" button: the host shows a file picker and answers with chat/insert. */
  z.object({ type: z.literal('chat/pickFile') }),
  /** The composer's text, debounced: the host keeps it with the session. */
  z.object({ type: z.literal('chat/draft'), sessionId: z.string().max(128), text: z.string().max(200_000) }),
  z.object({ type: z.literal('audit/query'), request: AuditQueryRequest }),
  z.object({ type: z.literal('audit/verify') }),
  z.object({ type: z.literal('audit/entry'), seq: z.number().int().positive() }),
  z.object({ type: z.literal('audit/refresh') }),
]);
export type WebviewToHost = z.infer<typeof WebviewToHost>;

/** Host → webview. */
export const HostToWebview = z.discriminatedUnion('type', [
  z.object({ type: z.literal('chat/snapshot'), snapshot: ChatSnapshot }),
  z.object({ type: z.literal('chat/ops'), sessionId: z.string(), ops: z.array(ChatOp), sentAt: z.number().optional() }),
  /** Files matching a chat/completeFile query (workspace-relative, at most 20). */
  z.object({ type: z.literal('chat/fileSuggestions'), requestId: z.number().int(), paths: z.array(z.string().max(4096)).max(20) }),
  /** Text for the composer at its cursor (a picked `@path`). */
  z.object({ type: z.literal('chat/insert'), text: z.string().max(5000) }),
  /** Open Chat (Ctrl+Alt+A): the cursor goes to the composer. */
  z.object({ type: z.literal('chat/focus') }),
  /** `newest`: the page the unfiltered table shows first (descending from `stats.lastSeq`), read with these stats. */
  z.object({
    type: z.literal('audit/stats'),
    stats: AuditStats.nullable(),
    unavailable: z.string().nullable(),
    newest: AuditPage.optional(),
  }),
  z.object({
    type: z.literal('audit/page'),
    requestId: z.number().int(),
    entries: z.array(AuditEntry),
    nextCursor: z.number().int().optional(),
  }),
  z.object({ type: z.literal('audit/verification'), report: AuditVerifyReport.nullable(), running: z.boolean() }),
  z.object({ type: z.literal('audit/entry'), entry: AuditEntry.nullable() }),
  z.object({ type: z.literal('error'), error: ErrorPayload, requestId: z.number().int().optional() }),
]);
export type HostToWebview = z.infer<typeof HostToWebview>;

/**
 * Host messages a webview's HTML carries (in the element FIRST_SCREEN_ID), shown before its ready handshake: the first
 * screen without a round trip to the host. `key` is new with each HTML.
 */
export const FIRST_SCREEN_ID = 'airlock-first';
/** The performance mark the Audit Log sets when its first entry's row is in the DOM (the UX bench reads it). */
export const AUDIT_FIRST_ROW_MARK = 'airlock:audit-first-row';
export const FirstScreen = z.object({ key: z.string().min(1).max(64), messages: z.array(HostToWebview).max(8) });
export type FirstScreen = z.infer<typeof FirstScreen>;

/** State the webview keeps across hide/reload through getState/setState (and the panel serializer). */
export const WebviewPersistedState = z.object({
  view: ViewKind,
  draft: z.string().max(200_000).optional(),
  scrollTop: z.number().optional(),
  stickToBottom: z.boolean().optional(),
  filter: AuditFilter.optional(),
  selectedSeq: z.number().int().optional(),
  /** The FirstScreen this page showed: a reload of the same HTML asks the host instead of showing it again. */
  firstKey: z.string().max(64).optional(),
});
export type WebviewPersistedState = z.infer<typeof WebviewPersistedState>;

/** Applies ops to a transcript; used by the webview and by tests that check host and webview agree. */
export function applyOps(items: ChatItem[], ops: readonly ChatOp[]): ChatItem[] {
  let out = items;
  for (const op of ops) {
    if (op.type === 'upsert') {
      const i = out.findIndex((x) => x.id === op.item.id);
      out = i < 0 ? [...out, op.item] : out.map((x, j) => (j === i ? op.item : x));
    } else if (op.type === 'append') {
      out = out.map((x) => (x.id === op.id && x.type === 'assistant' ? { ...x, text: x.text + op.text } : x));
    }
  }
  return out;
}

export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: string };

function parseWith<T>(schema: z.ZodType<T>, raw: unknown): ParseResult<T> {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, message: r.data };
  const issue = r.error.issues[0];
  return { ok: false, error: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid message'}` };
}

export const parseWebviewMessage = (raw: unknown): ParseResult<WebviewToHost> => parseWith(WebviewToHost, raw);
export const parseHostMessage = (raw: unknown): ParseResult<HostToWebview> => parseWith(HostToWebview, raw);
