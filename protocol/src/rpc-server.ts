// Server side of the typed RPC: handshake, validated dispatch, cancellation and events for one connection.
import type { z } from 'zod';
import { AirlockError, ErrorCodes, formatIssues } from './errors';
import { events, type EventData, type EventName } from './events';
import { Disposable, Emitter } from './lifecycle';
import { ClientMessage, type Hello, PROTOCOL_VERSION, type Welcome } from './messages';
import { isMethodName, type MethodName, methods, type Methods, type ResultOf } from './methods';
import type { ITransport } from './transport';

export const MAX_IN_FLIGHT_PER_CONNECTION = 256;

export interface RequestContext {
  readonly signal: AbortSignal;
  readonly connection: ServerConnection;
  readonly requestId: string;
}

export type Handler<M extends MethodName> = (params: z.infer<Methods[M][0]>, ctx: RequestContext) => Promise<ResultOf<M>> | ResultOf<M>;

export type HandlerMap = { [M in MethodName]?: Handler<M> };

export interface ServerOptions {
  handlers: HandlerMap;
  kernel: Welcome['kernel'];
  /** Decides whether a client may talk to us after its hello. Throw an AirlockError to refuse. */
  authorize?: (hello: Hello, transport: ITransport) => void;
}

export class ServerConnection extends Disposable {
  private greeted = false;
  /** Set once the connection is being closed: nothing more it sends is handled or answered. */
  private closing = false;
  private readonly inFlight = new Map<string, AbortController>();
  private readonly _onDidClose = this._register(new Emitter<void>());
  readonly onDidClose = this._onDidClose.event;
  client?: Hello['client'];

  constructor(
    readonly transport: ITransport,
    private readonly options: ServerOptions,
  ) {
    super();
    this._register(transport);
    this._register(transport.onMessage((m) => this.onMessage(m)));
    this._register(
      transport.onError((e) => {
        if (this.closing) return;
        this.sendSafe({ type: 'error', error: e.toPayload() });
        if (!this.greeted) this.closeSoon(); // before the hello, one bad frame ends the connection
      }),
    );
    this._register(
      transport.onClose(() => {
        for (const c of this.inFlight.values()) c.abort(new AirlockError(ErrorCodes.ConnectionClosed, 'client disconnected'));
        this.inFlight.clear();
        this._onDidClose.fire();
        this.dispose();
      }),
    );
  }

  emit<E extends EventName>(event: E, data: EventData<E>): void {
    if (!this.greeted) return;
    this.sendSafe({ type: 'event', event, data: events[event].parse(data) });
  }

  private onMessage(raw: unknown): void {
    if (this.closing) return;
    const parsed = ClientMessage.safeParse(raw);
    if (!parsed.success) {
      const id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : undefined;
      this.sendSafe({
        type: 'error',
        id: id && id.length <= 64 ? id : undefined,
        error: { code: ErrorCodes.BadMessage, message: `malformed message: ${parsed.error.issues[0]?.message ?? 'invalid'}` },
      });
      if (!this.greeted) this.closeSoon(); // an unauthenticated peer gets one answer, then nothing
      return;
    }
    const msg = parsed.data;
    switch (msg.type) {
      case 'hello':
        return this.onHello(msg);
      case 'request':
        return void this.onRequest(msg.id, msg.method, msg.params);
      case 'cancel':
        return void (this.greeted
          ? this.inFlight.get(msg.id)?.abort(new AirlockError(ErrorCodes.Cancelled, 'request was cancelled'))
          : this.closeSoon());
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  private onHello(hello: Hello): void {
    if (this.greeted) return this.sendSafe({ type: 'error', error: { code: ErrorCodes.BadMessage, message: 'duplicate hello' } });
    if (hello.protocol !== PROTOCOL_VERSION) {
      this.sendSafe({
        type: 'error',
        error: {
          code: ErrorCodes.ProtocolMismatch,
          message: `client speaks protocol ${hello.protocol}, kernel speaks ${PROTOCOL_VERSION}`,
          hint: 'update the extension/CLI and the kernel image to the same Airlock version (`airlock doctor`)',
        },
      });
      return this.closeSoon();
    }
    try {
      this.options.authorize?.(hello, this.transport);
    } catch (err) {
      this.sendSafe({ type: 'error', error: AirlockError.from(err, ErrorCodes.Unauthorized).toPayload() });
      return this.closeSoon();
    }
    this.greeted = true;
    this.client = hello.client;
    this.sendSafe({ type: 'welcome', protocol: PROTOCOL_VERSION, kernel: this.options.kernel });
  }

  private async onRequest(id: string, method: string, rawParams: unknown): Promise<void> {
    if (!this.greeted) {
      this.reply(id, new AirlockError(ErrorCodes.Unauthorized, 'hello required before requests'));
      return this.closeSoon();
    }
    if (this.inFlight.has(id)) return this.reply(id, new AirlockError(ErrorCodes.BadMessage, `request id ${id} is already in flight`));
    if (this.inFlight.size >= MAX_IN_FLIGHT_PER_CONNECTION) {
      return this.reply(
        id,
        new AirlockError(
          ErrorCodes.BadMessage,
          `more than ${MAX_IN_FLIGHT_PER_CONNECTION} requests in flight`,
          'wait for replies before sending more',
        ),
      );
    }
    const handler = isMethodName(method) ? (this.options.handlers[method] as Handler<MethodName> | undefined) : undefined;
    if (!isMethodName(method) || !handler) {
      return this.reply(
        id,
        new AirlockError(
          ErrorCodes.UnknownMethod,
          `unknown method ${JSON.stringify(method.slice(0, 128))}`,
          'the client and kernel versions may differ',
        ),
      );
    }
    const [paramsSchema, resultSchema] = methods[method];
    const params = paramsSchema.safeParse(rawParams);
    if (!params.success) {
      return this.reply(id, new AirlockError(ErrorCodes.BadParams, `invalid params for ${method}: ${formatIssues(params.error)}`));
    }
    const controller = new AbortController();
    this.inFlight.set(id, controller);
    try {
      const result = await handler(params.data as never, { signal: controller.signal, connection: this, requestId: id });
      if (controller.signal.aborted) throw controller.signal.reason;
      const checked = resultSchema.safeParse(result);
      if (!checked.success)
        throw new AirlockError(ErrorCodes.BadResult, `kernel produced an invalid result for ${method}: ${formatIssues(checked.error)}`);
      this.sendSafe({ type: 'response', id, ok: true, result: checked.data });
    } catch (err) {
      this.reply(id, err);
    } finally {
      this.inFlight.delete(id);
    }
  }

  private reply(id: string, err: unknown): void {
    this.sendSafe({ type: 'response', id, ok: false, error: AirlockError.from(err).toPayload() });
  }

  private sendSafe(message: unknown): void {
    try {
      this.transport.send(message);
    } catch (err) {
      // An unencodable reply (too large) becomes an error reply, which is always small.
      const id = (message as { id?: string }).id;
      if (id) this.transport.send({ type: 'response', id, ok: false, error: AirlockError.from(err).toPayload() });
    }
  }

  private closeSoon(): void {
    this.closing = true;
    setTimeout(() => this.dispose(), 50).unref?.();
  }
}
