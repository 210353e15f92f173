// VS Code's language models for the kernel (provider `vscode-lm`): one lm/request → a vscode.lm chat request → the
// answer as normalised stream events. Written against the slice of the API it uses, so a fake `vscode.lm` tests it.
import type { ChatMessage, StreamEvent } from '../../../protocol/src/agent';
import type { LmRequest } from '../../../protocol/src/methods/lm';

/** The parts of a vscode.lm message and stream this adapter uses (LanguageModelTextPart, ToolCallPart, ToolResultPart). */
export interface LmParts {
  User(content: string | unknown[]): unknown;
  Assistant(content: string | unknown[]): unknown;
  TextPart: new (value: string) => unknown;
  ToolCallPart: new (callId: string, name: string, input: object) => unknown;
  ToolResultPart: new (callId: string, content: unknown[]) => unknown;
}
export interface LmModel {
  readonly id: string;
  readonly name: string;
  readonly vendor: string;
  readonly family: string;
  sendRequest(
    messages: unknown[],
    options: { justification?: string; tools?: Array<{ name: string; description: string; inputSchema?: object }> },
    token?: unknown,
  ): Thenable<{ stream: AsyncIterable<unknown> }>;
}
export interface LmApi {
  selectChatModels(selector?: { id?: string }): Thenable<readonly LmModel[]>;
}

/** What VS Code offers, when it has the API and any model (the provider is not offered otherwise). */
export async function availableModels(lm: LmApi | undefined): Promise<readonly LmModel[]> {
  if (!lm || typeof lm.selectChatModels !== 'function') return [];
  try {
    return await lm.selectChatModels();
  } catch {
    return [];
  }
}

/** The kernel's conversation as vscode.lm messages: the system prompt first as a user message (vscode.lm has no system
 * role), assistant tool calls as ToolCallParts, consecutive tool results together in one user message. */
export function toLmMessages(r: Pick<LmRequest, 'system' | 'messages'>, parts: LmParts): unknown[] {
  const out: unknown[] = [];
  if (r.system) out.push(parts.User(r.system));
  let results: unknown[] = [];
  const flush = () => {
    if (results.length) out.push(parts.User(results));
    results = [];
  };
  for (const m of r.messages as ChatMessage[]) {
    if (m.role === 'tool') {
      results.push(new parts.ToolResultPart(m.toolCallId, [new parts.TextPart(m.isError ? `ERROR: ${m.content}` : m.content)]));
      continue;
    }
    flush();
    if (m.role === 'user') out.push(parts.User(m.content));
    else {
      const calls = m.toolCalls.map((c) => new parts.ToolCallPart(c.id, c.name, parseArgs(c.arguments)));
      out.push(parts.Assistant([...(m.content ? [new parts.TextPart(m.content)] : []), ...calls]));
    }
  }
  flush();
  return out;
}

function parseArgs(text: string): object {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

/** One answer part as stream events (unknown parts are skipped: the kernel validates whatever is sent anyway). */
export function partEvents(part: unknown, index: { next: number }): StreamEvent[] {
  const p = part as { value?: unknown; callId?: unknown; name?: unknown; input?: unknown };
  if (typeof p.callId === 'string' && typeof p.name === 'string') {
    const i = index.next++;
    const args = JSON.stringify(p.input ?? {});
    return [
      { type: 'tool-call-start', index: i, id: p.callId, name: p.name },
      { type: 'tool-call-end', index: i, id: p.callId, name: p.name, arguments: args },
    ];
  }
  if (typeof p.value === 'string' && p.value) return [{ type: 'text-delta', text: p.value }];
  return [];
}

export type Send = (events: StreamEvent[], done: boolean) => Promise<boolean>;

/**
 * Answers one lm/request: picks the model (`auto`: the first VS Code offers), sends the conversation and tools, streams
 * the parts back through `send` (false = the kernel stopped listening: the request is cancelled), then a finish.
 * A failure after the acknowledgement becomes an error event; nothing here decides about tools or files.
 */
export async function answer(
  req: LmRequest,
  lm: LmApi,
  parts: LmParts,
  send: Send,
  token: { isCancellationRequested: boolean } & object,
  cancel: () => void,
): Promise<void> {
  if (!(await send([], false))) return; // acknowledged: the kernel now waits for the model, not for a window
  try {
    const models = await lm.selectChatModels(req.model === 'auto' ? undefined : { id: req.model });
    const model = models[0];
    if (!model)
      throw Object.assign(new Error(`VS Code offers no language model ${req.model === 'auto' ? '' : `"${req.model}" `}here`), {
        code: 'PROVIDER_VSCODE_LM_UNAVAILABLE',
      });
    const tools = req.tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema }));
    const res = await model.sendRequest(
      toLmMessages(req, parts),
      { justification: 'Airlock runs your task with this model', tools },
      token,
    );
    const index = { next: 0 };
    for await (const part of res.stream) {
      const events = partEvents(part, index);
      if (events.length && !(await send(events, false))) {
        cancel();
        return;
      }
    }
    await send([{ type: 'finish', reason: index.next ? 'tool-calls' : 'stop' }], true);
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code) ? e.code : 'PROVIDER_VSCODE_LM_FAILED';
    await send([{ type: 'error', error: { code, message: String(e.message ?? err).slice(0, 2000) }, retryable: false }], true).catch(
      () => false,
    );
  }
}
