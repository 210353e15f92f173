// Fake OpenAI server: Chat Completions chunks (`chat.completion.chunk`, `[DONE]`) and Responses API semantic events.
import { type FakeResponse, FakeVendorServer, type SseFrame, type TurnScript } from './server';

export function startOpenAIFake(): Promise<FakeVendorServer> {
  return new FakeVendorServer((m, u) => m === 'POST' && (u.startsWith('/v1/chat/completions') || u.startsWith('/v1/responses'))).listen();
}

export function openaiError(status: number, message: string, headers: Record<string, string> = {}): FakeResponse {
  const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { kind: 'json', status, headers, body: { error: { message, type, param: null, code: null } } };
}

/** Chat Completions stream as OpenAI sends it: role chunk, content deltas, tool_calls deltas by index, finish, usage chunk. */
export function chatTurn(s: TurnScript, opts: { cutAfter?: number; model?: string } = {}): FakeResponse {
  const base = {
    id: 'chatcmpl-fake1',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: opts.model ?? 'gpt-4o-2024-08-06',
    system_fingerprint: 'fp_fake',
  };
  const chunk = (delta: object, finish: string | null = null): SseFrame => ({
    data: { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null },
  });
  const frames: SseFrame[] = [chunk({ role: 'assistant', content: '', refusal: null })];
  for (const t of s.text ?? []) frames.push(chunk({ content: t }));
  for (const [index, c] of (s.calls ?? []).entries()) {
    frames.push(chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] }));
    for (const a of c.args) frames.push(chunk({ tool_calls: [{ index, function: { arguments: a } }] }));
  }
  frames.push(chunk({}, s.finish ?? (s.calls?.length ? 'tool_calls' : 'stop')));
  if (s.usage)
    frames.push({
      data: {
        ...base,
        choices: [],
        usage: {
          prompt_tokens: s.usage.input,
          completion_tokens: s.usage.output,
          total_tokens: s.usage.input + s.usage.output,
          prompt_tokens_details: { cached_tokens: s.usage.cached ?? 0 },
        },
      },
    });
  return { kind: 'sse', frames, doneSentinel: true, cutAfter: opts.cutAfter };
}

/** Responses API stream: response.created, output_item.added/done, output_text.delta, function_call_arguments.delta/done, response.completed. */
export function responsesTurn(s: TurnScript, opts: { cutAfter?: number; incomplete?: boolean } = {}): FakeResponse {
  let seq = 0;
  const frames: SseFrame[] = [];
  const ev = (type: string, data: object) => frames.push({ event: type, data: { type, sequence_number: seq++, ...data } });
  const response = (status: string, extra: object = {}) => ({
    id: 'resp_fake1',
    object: 'response',
    created_at: 1_700_000_000,
    status,
    model: 'gpt-4.1',
    output: [],
    ...extra,
  });
  ev('response.created', { response: response('in_progress') });
  let out = 0;
  if (s.text?.length) {
    const item = { id: 'msg_fake1', type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    ev('response.output_item.added', { output_index: out, item });
    ev('response.content_part.added', {
      item_id: item.id,
      output_index: out,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [] },
    });
    for (const t of s.text)
      ev('response.output_text.delta', { item_id: item.id, output_index: out, content_index: 0, delta: t, logprobs: [] });
    ev('response.output_text.done', { item_id: item.id, output_index: out, content_index: 0, text: s.text.join(''), logprobs: [] });
    ev('response.output_item.done', {
      output_index: out,
      item: { ...item, status: 'completed', content: [{ type: 'output_text', text: s.text.join(''), annotations: [] }] },
    });
    out++;
  }
  for (const c of s.calls ?? []) {
    const item = { id: `fc_${c.id}`, type: 'function_call', status: 'in_progress', call_id: c.id, name: c.name, arguments: '' };
    ev('response.output_item.added', { output_index: out, item });
    for (const a of c.args) ev('response.function_call_arguments.delta', { item_id: item.id, output_index: out, delta: a });
    ev('response.function_call_arguments.done', { item_id: item.id, output_index: out, arguments: c.args.join('') });
    ev('response.output_item.done', { output_index: out, item: { ...item, status: 'completed', arguments: c.args.join('') } });
    out++;
  }
  const usage = s.usage && {
    input_tokens: s.usage.input,
    output_tokens: s.usage.output,
    total_tokens: s.usage.input + s.usage.output,
    input_tokens_details: { cached_tokens: s.usage.cached ?? 0 },
    output_tokens_details: { reasoning_tokens: 0 },
  };
  if (opts.incomplete)
    ev('response.incomplete', { response: response('incomplete', { usage, incomplete_details: { reason: 'max_output_tokens' } }) });
  else ev('response.completed', { response: response('completed', { usage }) });
  return { kind: 'sse', frames, cutAfter: opts.cutAfter };
}
