// OpenAI Chat Completions adapter (official `openai` SDK, streaming); also serves OpenAI-compatible local servers.
import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { FinishReason, ImageInput, StreamEvent } from '../../../../protocol/src/agent';
import { driveStream, finishEvent, ToolCallAssembler } from './stream';
import { fromVendorToolName, type IProvider, type ProviderConfig, type ProviderRequest, toVendorToolName } from './types';

export function toChatMessages(req: ProviderRequest): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = [];
  if (req.system) out.push({ role: 'system', content: req.system });
  for (const m of req.messages) {
    switch (m.role) {
      case 'user':
        out.push({
          role: 'user',
          content: m.images?.length
            ? [{ type: 'text', text: m.content }, ...m.images.map((i) => ({ type: 'image_url' as const, image_url: { url: dataUrl(i) } }))]
            : m.content,
        });
        break;
      case 'assistant':
        out.push({
          role: 'assistant',
          content: m.content || null,
          ...(m.toolCalls.length
            ? {
                tool_calls: m.toolCalls.map((c) => ({
                  id: c.id,
                  type: 'function' as const,
                  function: { name: toVendorToolName(c.name), arguments: c.arguments },
                })),
              }
            : {}),
        });
        break;
      case 'tool':
        out.push({ role: 'tool', tool_call_id: m.toolCallId, content: m.content });
        break;
      default: {
        const never: never = m;
        throw new Error(`unknown message ${(never as { role: string }).role}`);
      }
    }
  }
  return out;
}

const dataUrl = (i: ImageInput) => `data:${i.mediaType};base64,${i.data}`;

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  tool_calls: 'tool-calls',
  function_call: 'tool-calls',
  length: 'length',
  content_filter: 'content-filter',
};

export class OpenAIChatProvider implements IProvider {
  private readonly client: OpenAI;
  constructor(
    cfg: ProviderConfig,
    readonly name = 'openai',
    private readonly opts: { includeUsage?: boolean } = {},
  ) {
    // Retries are ours (retry.ts) so every one is visible and bounded the same way for every vendor.
    this.client = new OpenAI({
      apiKey: cfg.apiKey ?? 'unused',
      baseURL: cfg.baseURL,
      maxRetries: 0,
      timeout: cfg.timeoutMs ?? 600_000,
      ...(cfg.fetch ? { fetch: cfg.fetch } : {}),
    });
  }

  stream(req: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    const calls = new ToolCallAssembler();
    let reason: FinishReason | undefined;
    const tools: ChatCompletionTool[] = req.tools.map((t) => ({
      type: 'function',
      function: { name: toVendorToolName(t.name), description: t.description, parameters: t.inputSchema },
    }));
    const map = function* (chunk: ChatCompletionChunk): Iterable<StreamEvent> {
      if (chunk.usage) {
        yield {
          type: 'usage',
          usage: {
            inputTokens: chunk.usage.prompt_tokens ?? 0,
            outputTokens: chunk.usage.completion_tokens ?? 0,
            cachedInputTokens: chunk.usage.prompt_tokens_details?.cached_tokens ?? undefined,
          },
        };
      }
      const choice = chunk.choices?.[0];
      if (!choice) return;
      if (choice.delta?.content) yield { type: 'text-delta', text: choice.delta.content };
      for (const [pos, tc] of (choice.delta?.tool_calls ?? []).entries()) {
        const key = tc.index ?? pos;
        if (!calls.has(key)) yield calls.start(key, tc.id ?? undefined, fromVendorToolName(tc.function?.name ?? ''));
        const d = calls.delta(key, tc.function?.arguments ?? '');
        if (d) yield d;
      }
      if (choice.finish_reason) {
        reason = FINISH[choice.finish_reason] ?? 'stop';
        if (calls.count && reason === 'stop') reason = 'tool-calls'; // some local servers say "stop" after tool calls
        yield* calls.endAll();
      }
    };
    const includeUsage = this.opts.includeUsage ?? true;
    return driveStream(
      'openai',
      signal,
      () =>
        this.client.chat.completions.create(
          {
            model: req.model,
            messages: toChatMessages(req),
            stream: true,
            ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
            ...(tools.length ? { tools, parallel_tool_calls: true } : {}),
            ...(req.maxOutputTokens ? { max_completion_tokens: req.maxOutputTokens } : {}),
            ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
          },
          { signal },
        ),
      map,
      () => ({ finished: reason !== undefined, tail: [finishEvent(reason ?? 'stop')] }),
    );
  }
}
