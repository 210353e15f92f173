// Fake Gemini server: POST /v1beta/models/{model}:streamGenerateContent?alt=sse, GenerateContentResponse chunks over SSE.
import { type FakeResponse, FakeVendorServer, type SseFrame, type TurnScript } from './server';

export function startGeminiFake(): Promise<FakeVendorServer> {
  return new FakeVendorServer((m, u) => m === 'POST' && /^\/v1beta\/models\/[^/:]+:streamGenerateContent\?alt=sse/.test(u)).listen();
}

export function geminiError(status: number, message: string, headers: Record<string, string> = {}): FakeResponse {
  const st = status === 429 ? 'RESOURCE_EXHAUSTED' : status === 503 ? 'UNAVAILABLE' : status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT';
  return { kind: 'json', status, headers, body: { error: { code: status, message, status: st } } };
}

/** Gemini sends text in pieces and each function call whole (parallel calls = several functionCall parts). */
export function geminiTurn(s: TurnScript, opts: { cutAfter?: number; withIds?: boolean } = {}): FakeResponse {
  const frames: SseFrame[] = [];
  const usage = s.usage && {
    promptTokenCount: s.usage.input,
    candidatesTokenCount: s.usage.output,
    totalTokenCount: s.usage.input + s.usage.output,
    cachedContentTokenCount: s.usage.cached,
  };
  const chunk = (parts: object[], finishReason?: string, last = false) =>
    frames.push({
      data: {
        candidates: [{ content: { role: 'model', parts }, index: 0, ...(finishReason ? { finishReason } : {}) }],
        ...(last && usage
          ? { usageMetadata: usage }
          : { usageMetadata: { promptTokenCount: s.usage?.input ?? 0, totalTokenCount: s.usage?.input ?? 0 } }),
        modelVersion: 'gemini-2.5-pro',
        responseId: 'resp_fake1',
      },
    });
  const texts = s.text ?? [];
  const calls = s.calls ?? [];
  for (const t of texts) chunk([{ text: t }]);
  const callParts = calls.map((c) => ({
    functionCall: { ...(opts.withIds ? { id: c.id } : {}), name: c.name, args: JSON.parse(c.args.join('') || '{}') },
  }));
  chunk(callParts.length ? callParts : [{ text: '' }], s.finish ?? 'STOP', true);
  return { kind: 'sse', frames, delimiter: '\r\n\r\n', cutAfter: opts.cutAfter };
}
