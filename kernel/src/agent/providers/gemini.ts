// Google Gemini adapter (official `@google/genai`, generateContentStream over SSE).
import { GoogleGenAI } from '@google/genai';
import type { Content, FunctionDeclaration, GenerateContentResponse, Part } from '@google/genai';
import type { FinishReason, StreamEvent } from '../../../../protocol/src/agent';
import { parseRetryAfter, toProviderError } from './errors';
import { driveStream, finishEvent, ToolCallAssembler } from './stream';
import { fromVendorToolName, type IProvider, type ProviderConfig, type ProviderRequest, toVendorToolName } from './types';

export function toGeminiContents(req: ProviderRequest): Content[] {
  const out: Content[] = [];
  const push = (role: 'user' | 'model', part: Part) => {
    const last = out[out.length - 1];
    // Gemini wants alternating turns: consecutive parts of one side (parallel function responses) share a Content.
    if (last?.role === role && role === 'user' && part.functionResponse && last.parts?.every((p) => p.functionResponse))
      last.parts.push(part);
    else out.push({ role, parts: [part] });
  };
  for (const m of req.messages) {
    switch (m.role) {
      case 'user':
        if (m.images?.length)
          out.push({
            role: 'user',
            parts: [{ text: m.content }, ...m.images.map((i) => ({ inlineData: { mimeType: i.mediaType, data: i.data } }))],
          });
        else push('user', { text: m.content });
        break;
      case 'assistant':
        out.push({
          role: 'model',
          parts: [
            ...(m.content ? [{ text: m.content }] : []),
            ...m.toolCalls.map((c) => ({ functionCall: { id: c.id, name: toVendorToolName(c.name), args: parseArgs(c.arguments) } })),
          ],
        });
        break;
      case 'tool':
        push('user', {
          functionResponse: {
            id: m.toolCallId,
            name: toVendorToolName(m.name),
            response: m.isError ? { error: m.content } : { output: m.content },
          },
        });
        break;
      default: {
        const never: never = m;
        throw new Error(`unknown message ${(never as { role: string }).role}`);
      }
    }
  }
  return out;
}

function parseArgs(s: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(s || '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const FINISH: Record<string, FinishReason> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content-filter',
  RECITATION: 'content-filter',
  BLOCKLIST: 'content-filter',
  PROHIBITED_CONTENT: 'content-filter',
  SPII: 'content-filter',
};

export class GeminiProvider implements IProvider {
  readonly name = 'google';
  constructor(private readonly cfg: ProviderConfig) {}

  stream(req: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    // The SDK's ApiError carries only the status: a fetch wrapper (the SDK's `httpOptions.fetch` hook) keeps Retry-After.
    let retryAfterMs: number | undefined;
    const fetchWithHeaders: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!res.ok) retryAfterMs = parseRetryAfter((n) => res.headers.get(n));
      return res;
    };
    const ai = new GoogleGenAI({
      apiKey: this.cfg.apiKey ?? 'unused',
      httpOptions: { ...(this.cfg.baseURL ? { baseUrl: this.cfg.baseURL } : {}), timeout: this.cfg.timeoutMs, fetch: fetchWithHeaders },
    });
    const calls = new ToolCallAssembler();
    let reason: FinishReason | undefined;
    let usage: StreamEvent | undefined;
    const functionDeclarations: FunctionDeclaration[] = req.tools.map((t) => ({
      name: toVendorToolName(t.name),
      description: t.description,
      parametersJsonSchema: t.inputSchema,
    }));
    const map = function* (chunk: GenerateContentResponse): Iterable<StreamEvent> {
      const cand = chunk.candidates?.[0];
      for (const part of cand?.content?.parts ?? []) {
        if (part.thought) continue;
        if (part.text) yield { type: 'text-delta', text: part.text };
        if (part.functionCall) {
          // Gemini sends each call whole: start, one delta with the full arguments, end.
          const key = `k${calls.count}`;
          yield calls.start(key, part.functionCall.id, fromVendorToolName(part.functionCall.name ?? ''));
          const d = calls.delta(key, JSON.stringify(part.functionCall.args ?? {}));
          if (d) yield d;
          yield calls.end(key)!;
        }
      }
      const u = chunk.usageMetadata;
      if (u)
        usage = {
          type: 'usage',
          usage: {
            inputTokens: u.promptTokenCount ?? 0,
            outputTokens: (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0),
            cachedInputTokens: u.cachedContentTokenCount ?? undefined,
          },
        };
      if (cand?.finishReason) reason = calls.count ? 'tool-calls' : (FINISH[cand.finishReason] ?? 'stop');
    };
    const open = async () => {
      try {
        return await ai.models.generateContentStream({
          model: req.model,
          contents: toGeminiContents(req),
          config: {
            abortSignal: signal,
            ...(req.system ? { systemInstruction: req.system } : {}),
            ...(functionDeclarations.length ? { tools: [{ functionDeclarations }] } : {}),
            ...(req.maxOutputTokens ? { maxOutputTokens: req.maxOutputTokens } : {}),
            ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
          },
        });
      } catch (err) {
        throw toProviderError(err, 'google', retryAfterMs);
      }
    };
    return driveStream('google', signal, open, map, () => ({
      finished: reason !== undefined,
      tail: [...(usage ? [usage] : []), finishEvent(reason ?? 'stop')],
    }));
  }
}
