// Shared plumbing for adapters: tool-call assembly (ids, indices, argument streaming) and error-safe stream driving.
import type { FinishReason, StreamEvent } from '../../../../protocol/src/agent';
import { AirlockError } from '../../../../protocol/src/errors';
import { ProviderErrorCodes, toProviderError } from './errors';

interface OpenCall {
  index: number;
  id: string;
  name: string;
  args: string;
  ended: boolean;
}

/** Tracks the tool calls of one turn by a vendor key (index, item id, block index) and emits normalised events. */
export class ToolCallAssembler {
  private readonly calls = new Map<string | number, OpenCall>();
  private next = 0;

  get count(): number {
    return this.next;
  }

  has(key: string | number): boolean {
    return this.calls.has(key);
  }

  start(key: string | number, id: string | undefined, name: string): StreamEvent {
    const index = this.next++;
    const call: OpenCall = { index, id: id || `call_${index}`, name, args: '', ended: false };
    this.calls.set(key, call);
    return { type: 'tool-call-start', index, id: call.id, name };
  }

  delta(key: string | number, text: string): StreamEvent | undefined {
    const c = this.calls.get(key);
    if (!c || !text) return undefined;
    c.args += text;
    return { type: 'tool-call-delta', index: c.index, id: c.id, argumentsDelta: text };
  }

  /** Ends one call; `finalArgs` replaces the streamed text when the vendor sends the complete arguments at the end. */
  end(key: string | number, finalArgs?: string): StreamEvent | undefined {
    const c = this.calls.get(key);
    if (!c || c.ended) return undefined;
    c.ended = true;
    if (finalArgs !== undefined) c.args = finalArgs;
    return { type: 'tool-call-end', index: c.index, id: c.id, name: c.name, arguments: c.args || '{}' };
  }

  endAll(): StreamEvent[] {
    const out: StreamEvent[] = [];
    for (const [k] of [...this.calls].sort((a, b) => a[1].index - b[1].index)) {
      const e = this.end(k);
      if (e) out.push(e);
    }
    return out;
  }
}

/**
 * Drives a vendor stream: errors before any output are thrown (retry redoes the request); errors after output become one
 * `error` event. A stream that ends without the vendor's end marker is reported as a cut.
 */
export async function* driveStream<C>(
  vendor: string,
  signal: AbortSignal,
  open: () => Promise<AsyncIterable<C>>,
  map: (chunk: C) => Iterable<StreamEvent>,
  done: () => { finished: boolean; tail: StreamEvent[] },
): AsyncGenerator<StreamEvent> {
  let produced = false;
  try {
    const it = await open();
    for await (const chunk of it) {
      for (const ev of map(chunk)) {
        produced = true;
        yield ev;
      }
    }
  } catch (err) {
    if (signal.aborted) throw signal.reason ?? err;
    const e = toProviderError(err, vendor);
    if (!produced) throw e;
    yield { type: 'error', error: e.toPayload(), retryable: (e.details as { retryable?: boolean })?.retryable ?? false };
    return;
  }
  if (signal.aborted) throw signal.reason;
  const { finished, tail } = done();
  if (!finished) {
    const e = new AirlockError(
      ProviderErrorCodes.StreamCut,
      `${vendor} stream ended before the turn was complete`,
      'Airlock retries the turn',
      { vendor, retryable: true },
    );
    if (!produced) throw e;
    yield { type: 'error', error: e.toPayload(), retryable: true };
    return;
  }
  yield* tail;
}

export function finishEvent(reason: FinishReason): StreamEvent {
  return { type: 'finish', reason };
}
