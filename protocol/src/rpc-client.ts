// Client side of the typed RPC: handshake, validated requests with ids, cancellation, timeouts and events.
import { defaultTimeoutMs, HANDSHAKE_TIMEOUT_MS } from './deadlines';
import { AirlockError, ErrorCodes, formatIssues } from './errors';
import { events, type EventData, type EventName } from './events';
import { Disposable, Emitter, type IDisposable, toDisposable } from './lifecycle';
import { PROTOCOL_VERSION, ServerMessage, type Welcome } from './messages';
import { methods, type MethodName, type ParamsOf, type ResultOf } from './methods';
import type { ITransport } from './transport';

export interface RequestOptions {
  signal?: AbortSignal;
  /** Unset: the method's default (protocol/src/deadlines.ts); every request has a deadline. */
  timeoutMs?: number;
}

interface Pending {
  method: MethodName;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface IKernelClient extends IDisposable {
  request<M extends MethodName>(method: M, params: ParamsOf<M>, options?: RequestOptions): Promise<ResultOf<M>>;
  onEvent<E extends EventName>(event: E, listener: (data: EventData<E>) => void): IDisposable;
  readonly onDidClose: (l: () => void) => IDisposable;
  readonly kernel?: Welcome['kernel'];
}

export class RpcClient extends Disposable implements IKernelClient {
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Map<string, Set<(d: unknown) => void>>();
  private welcome?: { resolve: (w: Welcome) => void; reject: (e: unknown) => void };
  private readonly _onDidClose = this._register(new Emitter<void>());
  readonly onDidClose = this._onDidClose.event;
  kernel?: Welcome['kernel'];

  constructor(private readonly transport: ITransport) {
    super();
    this._register(transport);
    this._register(transport.onMessage((m) => this.onMessage(m)));
    this._register(transport.onClose(() => this.onClosed()));
  }

  /** Sends hello and waits for welcome; rejects with the server's reason (e.g. protocol mismatch). */
  handshake(client: { name: string; version: string }, token?: string, options: RequestOptions = {}): Promise<Welcome> {
    return this.withDeadline(
      new Promise<Welcome>((resolve, reject) => {
        this.welcome = { resolve, reject };
        this.transport.send({ type: 'hello', protocol: PROTOCOL_VERSION, client, token });
      }),
      'handshake',
      { ...options, timeoutMs: options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS },
    );
  }

  /** Work the host must finish before a method is sent (a remote engine's workspace sync before task/start); its
   * failure fails the request, which is then never sent. Its time does not count against the request's deadline. */
  beforeSend?: (method: MethodName) => Promise<void> | undefined;

  request<M extends MethodName>(method: M, params: ParamsOf<M>, options: RequestOptions = {}): Promise<ResultOf<M>> {
    const before = this.beforeSend?.(method);
    return before ? before.then(() => this.dispatch(method, params, options)) : this.dispatch(method, params, options);
  }

  private dispatch<M extends MethodName>(method: M, params: ParamsOf<M>, options: RequestOptions): Promise<ResultOf<M>> {
    if (this.transport.isClosed)
      return Promise.reject(
        new AirlockError(ErrorCodes.ConnectionClosed, 'kernel connection is closed', 'reconnect or restart the kernel'),
      );
    const checked = methods[method][0].safeParse(params);
    if (!checked.success)
      return Promise.reject(new AirlockError(ErrorCodes.BadParams, `invalid params for ${method}: ${formatIssues(checked.error)}`));
    const id = String(this.nextId++);
    const promise = new Promise<unknown>((resolve, reject) => this.pending.set(id, { method, resolve, reject }));
    this.transport.send({ type: 'request', id, method, params: checked.data });
    const onAbort = () => this.transport.send({ type: 'cancel', id });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs(method, params);
    return this.withDeadline(promise, method, { ...options, timeoutMs }, () => {
      this.pending.delete(id);
      if (!this.transport.isClosed) this.transport.send({ type: 'cancel', id });
    }).finally(() => options.signal?.removeEventListener('abort', onAbort)) as Promise<ResultOf<M>>;
  }

  onEvent<E extends EventName>(event: E, listener: (data: EventData<E>) => void): IDisposable {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const l = listener as (d: unknown) => void;
    set.add(l);
    return toDisposable(() => set!.delete(l));
  }

  private withDeadline<T>(p: Promise<T>, what: string, { signal, timeoutMs }: RequestOptions, onGiveUp?: () => void): Promise<T> {
    if (!signal && !timeoutMs) return p;
    return new Promise<T>((resolve, reject) => {
      const giveUp = (err: AirlockError) => {
        cleanup();
        onGiveUp?.();
        reject(err);
      };
      const onAbort = () => giveUp(new AirlockError(ErrorCodes.Cancelled, `${what} was cancelled`));
      const timer = timeoutMs
        ? setTimeout(
            () =>
              giveUp(
                new AirlockError(
                  ErrorCodes.Timeout,
                  `${what} timed out after ${timeoutMs} ms`,
                  'the kernel may be overloaded or stuck; `airlock doctor` checks it',
                ),
              ),
            timeoutMs,
          )
        : undefined;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          cleanup();
          resolve(v);
        },
        (e) => {
          cleanup();
          reject(e);
        },
      );
    });
  }

  private onMessage(raw: unknown): void {
    const parsed = ServerMessage.safeParse(raw);
    if (!parsed.success) return this.onMalformed(raw, formatIssues(parsed.error));
    const msg = parsed.data;
    switch (msg.type) {
      case 'welcome':
        this.kernel = msg.kernel;
        this.welcome?.resolve(msg);
        this.welcome = undefined;
        return;
      case 'response': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (!msg.ok) return p.reject(AirlockError.fromPayload(msg.error));
        const checked = methods[p.method][1].safeParse(msg.result);
        return checked.success
          ? p.resolve(checked.data)
          : p.reject(new AirlockError(ErrorCodes.BadResult, `invalid result for ${p.method}: ${formatIssues(checked.error)}`));
      }
      case 'event': {
        const set = this.listeners.get(msg.event);
        if (!set || !(msg.event in events)) return;
        const data = events[msg.event as EventName].safeParse(msg.data);
        if (data.success) for (const l of [...set]) l(data.data);
        return;
      }
      case 'error': {
        const err = AirlockError.fromPayload(msg.error);
        if (this.welcome) {
          this.welcome.reject(err);
          this.welcome = undefined;
          return;
        }
        if (msg.id) {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          p?.reject(err);
        }
        return;
      }
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  /** A reply we cannot read still ends the request it names (or the handshake): the caller hears why, now. */
  private onMalformed(raw: unknown, why: string): void {
    const r = (typeof raw === 'object' && raw !== null ? raw : {}) as { type?: unknown; id?: unknown };
    const err = new AirlockError(
      ErrorCodes.BadMessage,
      `the kernel sent a malformed ${typeof r.type === 'string' ? r.type.slice(0, 32) : 'message'}: ${why}`,
      'the client and kernel versions may differ (`airlock doctor`)',
    );
    if (r.type === 'welcome' && this.welcome) {
      this.welcome.reject(err);
      this.welcome = undefined;
      return;
    }
    const p = typeof r.id === 'string' ? this.pending.get(r.id) : undefined;
    if (!p) return;
    this.pending.delete(r.id as string);
    p.reject(err);
  }

  private onClosed(): void {
    const err = new AirlockError(ErrorCodes.ConnectionClosed, 'kernel connection closed', 'the kernel may have restarted; retry');
    this.welcome?.reject(err);
    this.welcome = undefined;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this._onDidClose.fire();
  }
}
