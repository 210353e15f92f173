// Fake Anthropic server: Messages SSE (message_start, content_block_*, input_json_delta, message_delta, message_stop).
import { type FakeResponse, FakeVendorServer, type SseFrame, type TurnScript } from './server';

export function startAnthropicFake(): Promise<FakeVendorServer> {
  return new FakeVendorServer((m, u) => m === 'POST' && u.startsWith('/v1/messages')).listen();
}

export function anthropicError(status: number, message: string, headers: Record<string, string> = {}): FakeResponse {
  const type =
    status === 429 ? 'rate_limit_error' : status === 529 ? 'overloaded_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
  return { kind: 'json', status, headers: { 'request-id': 'req_fake', ...headers }, body: { type: 'error', error: { type, message } } };
}

export function anthropicTurn(s: TurnScript, opts: { cutAfter?: number; model?: string } = {}): FakeResponse {
  const frames: SseFrame[] = [];
  const ev = (type: string, data: object) => frames.push({ event: type, data: { type, ...data } });
  ev('message_start', {
    message: {
      id: 'msg_fake1',
      type: 'message',
      role: 'assistant',
      content: [],
      model: opts.model ?? 'claude-sonnet-4-5',
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: s.usage?.input ?? 0,
        output_tokens: 1,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: s.usage?.cached ?? 0,
      },
    },
  });
  let index = 0;
  if (s.text?.length) {
    ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
    ev('ping', {});
    for (const t of s.text) ev('content_block_delta', { index, delta: { type: 'text_delta', text: t } });
    ev('content_block_stop', { index });
    index++;
  }
  for (const c of s.calls ?? []) {
    ev('content_block_start', { index, content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} } });
    ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } });
    for (const a of c.args) ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: a } });
    ev('content_block_stop', { index });
    index++;
  }
  ev('message_delta', {
    delta: { stop_reason: s.finish ?? (s.calls?.length ? 'tool_use' : 'end_turn'), stop_sequence: null },
    usage: { output_tokens: s.usage?.output ?? 0 },
  });
  ev('message_stop', {});
  return { kind: 'sse', frames, cutAfter: opts.cutAfter };
}
