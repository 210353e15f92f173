// OpenAI Responses API adapter (official `openai` SDK, streaming semantic events).
import OpenAI from 'openai';
import type { FunctionTool, ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { FinishReason, StreamEvent } from '../../../../protocol/src/agent';
import { AirlockError } from '../../../../protocol/src/errors';
import { ProviderErrorCodes } from './errors';
import { driveStream, finishEvent, ToolCallAssembler } from './stream';
import { fromVendorToolName, type IProvider, type ProviderConfig, type ProviderRequest, toVendorToolName } from './types';

export function toResponsesInput(req: ProviderRequest): ResponseInputItem[] {
  const out: ResponseInputItem[] = [];
  for (const m of req.messages) {
    switch (m.role) {
      case 'user':
        out.push({
          role: 'user',
          content: m.images?.length
            ? [
                { type: 'input_text', text: m.content },
                ...m.images.map((i) => ({
                  type: 'input_image' as const,
                  image_url: `data:${i.mediaType};base64,${i.data}`,
                  detail: 'auto' as const,
                })),
              ]
            : m.content,
        });
        break;
      case 'assistant':
        if (m.content) out.push({ role: 'assistant', content: m.content });
        for (const c of m.toolCalls)
          out.push({ type: 'function_call', call_id: c.id, name: toVendorToolName(c.name), arguments: c.arguments });
        break;
      case 'tool':
        out.push({ type: 'function_call_output', call_id: m.toolCallId, output: m.content });
        break;
      default: {
        const never: never = m;
        throw new Error(`unknown message ${(never as { role: string }).role}`);
      }
    }
  }
  return out;
}

export class OpenAIResponsesProvider implements IProvider {
  readonly name = 'openai-responses';
  private readonly client: OpenAI;
  constructor(cfg: ProviderConfig) {
    this.client = new OpenAI({ apiKey: cfg.apiKey ?? 'unused', baseURL: cfg.baseURL, maxRetries: 0, timeout: cfg.timeoutMs ?? 600_000 });
  }

  stream(req: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    const calls = new ToolCallAssembler();
    let reason: FinishReason | undefined;
    const tools: FunctionTool[] = req.tools.map((t) => ({
      type: 'function',
      name: toVendorToolName(t.name),
      description: t.description,
      parameters: t.inputSchema,
      strict: false,
    }));
    const map = function* (ev: ResponseStreamEvent): Iterable<StreamEvent> {
      switch (ev.type) {
        case 'response.output_text.delta':
          yield { type: 'text-delta', text: ev.delta };
          break;
        case 'response.output_item.added':
          if (ev.item.type === 'function_call')
            yield calls.start(ev.item.id ?? ev.item.call_id, ev.item.call_id, fromVendorToolName(ev.item.name));
          break;
        case 'response.function_call_arguments.delta': {
          const d = calls.delta(ev.item_id, ev.delta);
          if (d) yield d;
          break;
        }
        case 'response.function_call_arguments.done': {
          const e = calls.end(ev.item_id, ev.arguments);
          if (e) yield e;
          break;
        }
        case 'response.output_item.done':
          if (ev.item.type === 'function_call') {
            const e = calls.end(ev.item.id ?? ev.item.call_id, ev.item.arguments);
            if (e) yield e;
          }
          break;
        case 'response.completed':
        case 'response.incomplete': {
          const r = ev.response;
          yield* calls.endAll();
          if (r.usage)
            yield {
              type: 'usage',
              usage: {
                inputTokens: r.usage.input_tokens,
                outputTokens: r.usage.output_tokens,
                cachedInputTokens: r.usage.input_tokens_details?.cached_tokens,
              },
            };
          reason =
            ev.type === 'response.incomplete'
              ? r.incomplete_details?.reason === 'content_filter'
                ? 'content-filter'
                : 'length'
              : calls.count
                ? 'tool-calls'
                : 'stop';
          break;
        }
        case 'response.failed':
          throw new AirlockError(
            ProviderErrorCodes.BadResponse,
            `openai response failed: ${ev.response.error?.message ?? 'unknown error'}`,
            undefined,
            { vendor: 'openai', retryable: false },
          );
        case 'error':
          throw new AirlockError(ProviderErrorCodes.BadResponse, `openai stream error: ${ev.message}`, undefined, {
            vendor: 'openai',
            retryable: false,
          });
        default:
          break; // reasoning summaries, annotations and other events carry nothing we normalise yet
      }
    };
    return driveStream(
      'openai',
      signal,
      () =>
        this.client.responses.create(
          {
            model: req.model,
            input: toResponsesInput(req),
            stream: true,
            store: false,
            ...(req.system ? { instructions: req.system } : {}),
            ...(tools.length ? { tools, parallel_tool_calls: true } : {}),
            ...(req.maxOutputTokens ? { max_output_tokens: req.maxOutputTokens } : {}),
            ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
          },
          { signal },
        ),
      map,
      () => ({ finished: reason !== undefined, tail: [finishEvent(reason ?? 'stop')] }),
    );
  }
}
