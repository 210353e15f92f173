// Provider `vscode-lm`: VS Code's own language models, called by the extension host (they exist only there). The kernel
// pushes each turn as an lm/request event and takes the answer back through lm/respond, validated and size-capped.
import { randomBytes } from 'node:crypto';
import type { StreamEvent } from '../../../../protocol/src/agent';
import { AirlockError, cancelledError } from '../../../../protocol/src/errors';
import type { LmRequest } from '../../../../protocol/src/methods/lm';
import type { IEventBus } from '../../event-bus';
import { fromVendorToolName, type IProvider, type ProviderRequest, toVendorToolName } from './types';

export interface LmLimits {
  /** No window acknowledged the request within this: nobody will answer (no VS Code, or another client started it). */
  ackMs: number;
  /** Silence between two slices (a consent prompt may stand in front of the first one). */
  idleMs: number;
  /** Text of one turn; a tool call's arguments; events of one turn. */
  maxTextChars: number;
  maxArgsChars: number;
  maxEvents: number;
}
export const LM_LIMITS: LmLimits = { ackMs: 15_000, idleMs: 300_000, maxTextChars: 2_000_000, maxArgsChars: 1_000_000, maxEvents: 100_000 };

interface Pending {
  /** The connection that answers (the first to respond); slices from another one are refused. */
  responder?: object;
  push(events: StreamEvent[], done: boolean): void;
}

const unavailable = (why: string) =>
  new AirlockError(
    'PROVIDER_VSCODE_LM_UNAVAILABLE',
    why,
    'vscode-lm works only for tasks started from VS Code where a language model is available (Airlock: Select Model / Provider lists them)',
  );

/** The kernel's side of the exchange: one per TaskService, shared by its tasks' providers. */
export class LmBridge {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly events: Pick<IEventBus, 'emit'>,
    private readonly limits: LmLimits = LM_LIMITS,
  ) {}

  /** A slice from a client; false when the request is unknown (over, cancelled) or another connection answers it. */
  respond(p: { requestId: string; events: StreamEvent[]; done: boolean }, from: object): boolean {
    const r = this.pending.get(p.requestId);
    if (!r) return false;
    r.responder ??= from;
    if (r.responder !== from) return false;
    r.push(p.events, p.done);
    return true;
  }

  /** One model turn through the extension host, as a provider stream (errors before the first event are thrown). */
  async *turn(req: Omit<LmRequest, 'requestId'>, signal: AbortSignal): AsyncGenerator<StreamEvent> {
    const requestId = `lm_${randomBytes(8).toString('hex')}`;
    const queue: StreamEvent[] = [];
    let done = false;
    let acked = false;
    let wake: (() => void) | undefined;
    const limits = this.limits;
    const failure: { err?: AirlockError } = {};
    const stats = { text: 0, events: 0 };
    this.pending.set(requestId, {
      push(events, end) {
        acked = true;
        for (const e of events) {
          stats.events++;
          if (e.type === 'text-delta') stats.text += e.text.length;
          const big = e.type === 'tool-call-end' && e.arguments.length > limits.maxArgsChars;
          if (stats.text > limits.maxTextChars || stats.events > limits.maxEvents || big) {
            failure.err ??= new AirlockError(
              'PROVIDER_RESPONSE_TOO_LARGE',
              `the VS Code language model's answer is over the limit (${big ? 'tool-call arguments' : stats.text > limits.maxTextChars ? 'text' : 'events'})`,
              'ask for smaller steps, or choose another model (Airlock: Select Model / Provider)',
            );
            done = true;
            break;
          }
          queue.push(e);
        }
        if (end) done = true;
        wake?.();
      },
    });
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    let produced = false;
    try {
      this.events.emit('lm/request', { requestId, ...req });
      for (;;) {
        if (signal.aborted) throw signal.reason ?? cancelledError('model request');
        const e = queue.shift();
        if (e) {
          produced = true;
          yield e;
          continue;
        }
        if (failure.err) {
          if (!produced) throw failure.err;
          yield { type: 'error', error: failure.err.toPayload(), retryable: false };
          return;
        }
        if (done) return;
        const waitMs = acked ? limits.idleMs : limits.ackMs;
        const timedOut = await new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(true), waitMs);
          wake = () => {
            clearTimeout(t);
            wake = undefined;
            resolve(false);
          };
        });
        if (!timedOut) continue;
        const err = acked
          ? new AirlockError(
              'PROVIDER_TIMEOUT',
              `the VS Code language model sent nothing for ${Math.round(waitMs / 1000)} s`,
              'check the model in VS Code (its sign-in or quota), then Retry',
            )
          : unavailable(`no VS Code window answered the model request within ${Math.round(waitMs / 1000)} s`);
        if (!produced) throw err;
        yield { type: 'error', error: err.toPayload(), retryable: false };
        return;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.pending.delete(requestId);
      // The extension stops its request when the kernel no longer listens (cancelled, failed, or simply finished).
      if (!done) this.events.emit('lm/cancel', { requestId });
    }
  }
}

export class VscodeLmProvider implements IProvider {
  readonly name = 'vscode-lm';
  constructor(
    private readonly bridge: LmBridge,
    private readonly taskId: string,
  ) {}

  /** Tool names as vendors take them (`fs__read`: VS Code's tool names allow no dots), mapped back on the way in. */
  async *stream(r: ProviderRequest, signal: AbortSignal): AsyncGenerator<StreamEvent> {
    const messages = r.messages.map((m) =>
      m.role === 'assistant'
        ? { ...m, toolCalls: m.toolCalls.map((c) => ({ ...c, name: toVendorToolName(c.name) })) }
        : m.role === 'tool'
          ? { ...m, name: toVendorToolName(m.name) }
          : m,
    );
    const tools = r.tools.map((t) => ({ ...t, name: toVendorToolName(t.name) }));
    for await (const e of this.bridge.turn(
      {
        taskId: this.taskId,
        model: r.model,
        system: r.system,
        messages,
        tools,
        ...(r.maxOutputTokens ? { maxOutputTokens: r.maxOutputTokens } : {}),
      },
      signal,
    )) {
      yield e.type === 'tool-call-start' || e.type === 'tool-call-end' ? { ...e, name: fromVendorToolName(e.name) } : e;
    }
  }
}
