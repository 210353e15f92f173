// Anthropic Messages adapter (official `@anthropic-ai/sdk`, raw streaming events).
import Anthropic from '@anthropic-ai/sdk';
import type { MessageParam, RawMessageStreamEvent, Tool, ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages';
import type { FinishReason, StreamEvent } from '../../../../protocol/src/agent';
import { driveStream, finishEvent, ToolCallAssembler } from './stream';
import { fromVendorToolName, type IProvider, type ProviderConfig, type ProviderRequest, toVendorToolName } from './types';

export function toAnthropicMessages(req: ProviderRequest): MessageParam[] {
  const out: MessageParam[] = [];
  for (const m of req.messages) {
    switch (m.role) {
      case 'user':
        out.push({
          role: 'user',
          content: m.images?.length
            ? [
                { type: 'text' as const, text: m.content },
                ...m.images.map((i) => ({
                  type: 'image' as const,
                  source: { type: 'base64' as const, media_type: i.mediaType, data: i.data },
                })),
              ]
            : m.content,
        });
        break;
      case 'assistant':
        out.push({
          role: 'assistant',
          content: [
            ...(m.content ? [{ type: 'text' as const, text: m.content }] : []),
            ...m.toolCalls.map((c) => ({
              type: 'tool_use' as const,
              id: c.id,
              name: toVendorToolName(c.name),
              input: safeJson(c.arguments),
            })),
          ],
        });
        break;
      case 'tool': {
        // Results of one turn's parallel calls go back together in a single user message, as the API requires.
        const block: ToolResultBlockParam = {
          type: 'tool_result',
          tool_use_id: m.toolCallId,
          content: m.content,
          is_error: m.isError || undefined,
        };
        const last = out[out.length - 1];
        if (last?.role === 'user' && Array.isArray(last.content) && last.content.every((b) => b.type === 'tool_result'))
          last.content.push(block);
        else out.push({ role: 'user', content: [block] });
        break;
      }
      default: {
        const never: never = m;
        throw new Error(`unknown message ${(never as { role: string }).role}`);
      }
    }
  }
  return out;
}

function safeJson(s: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(s || '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return {};
  }
}

const STOP: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  tool_use: 'tool-calls',
  max_tokens: 'length',
  refusal: 'content-filter',
  pause_turn: 'stop',
};

export class AnthropicProvider implements IProvider {
  readonly name = 'anthropic';
  private readonly client: Anthropic;
  constructor(cfg: ProviderConfig) {
    this.client = new Anthropic({ apiKey: cfg.apiKey ?? 'unused', baseURL: cfg.baseURL, maxRetries: 0, timeout: cfg.timeoutMs ?? 600_000 });
  }

  stream(req: ProviderRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    const calls = new ToolCallAssembler();
    let reason: FinishReason | undefined;
    let stopped = false;
    let input = 0,
      cached = 0,
      output = 0;
    const tools: Tool[] = req.tools.map((t) => ({
      name: toVendorToolName(t.name),
      description: t.description,
      input_schema: t.inputSchema as Tool['input_schema'],
    }));
    const map = function* (ev: RawMessageStreamEvent): Iterable<StreamEvent> {
      switch (ev.type) {
        case 'message_start':
          input = ev.message.usage.input_tokens;
          cached = ev.message.usage.cache_read_input_tokens ?? 0;
          output = ev.message.usage.output_tokens;
          break;
        case 'content_block_start':
          if (ev.content_block.type === 'tool_use')
            yield calls.start(ev.index, ev.content_block.id, fromVendorToolName(ev.content_block.name));
          else if (ev.content_block.type === 'text' && ev.content_block.text) yield { type: 'text-delta', text: ev.content_block.text };
          break;
        case 'content_block_delta':
          if (ev.delta.type === 'text_delta') yield { type: 'text-delta', text: ev.delta.text };
          else if (ev.delta.type === 'input_json_delta') {
            const d = calls.delta(ev.index, ev.delta.partial_json);
            if (d) yield d;
          }
          break;
        case 'content_block_stop': {
          const e = calls.end(ev.index);
          if (e) yield e;
          break;
        }
        case 'message_delta':
          output = ev.usage.output_tokens ?? output;
          if (ev.usage.input_tokens) input = ev.usage.input_tokens;
          if (ev.delta.stop_reason) reason = STOP[ev.delta.stop_reason] ?? 'stop';
          break;
        case 'message_stop':
          stopped = true;
          yield* calls.endAll();
          yield { type: 'usage', usage: { inputTokens: input + cached, outputTokens: output, cachedInputTokens: cached || undefined } };
          break;
        default: {
          const never: never = ev;
          void never;
        }
      }
    };
    return driveStream(
      'anthropic',
      signal,
      () =>
        this.client.messages.create(
          {
            model: req.model,
            max_tokens: req.maxOutputTokens ?? 8192,
            messages: toAnthropicMessages(req),
            stream: true,
            ...(req.system ? { system: req.system } : {}),
            ...(tools.length ? { tools } : {}),
            ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
          },
          { signal },
        ),
      map,
      () => ({ finished: stopped, tail: [finishEvent(reason ?? 'stop')] }),
    );
  }
}
