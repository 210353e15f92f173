// Disposables and events, after VS Code's lifecycle.ts: every long-lived thing has exactly one owner.
export interface IDisposable {
  dispose(): void;
}

export function toDisposable(fn: () => void): IDisposable {
  let done = false;
  return {
    dispose: () => {
      if (!done) {
        done = true;
        fn();
      }
    },
  };
}

export class DisposableStore implements IDisposable {
  private readonly items = new Set<IDisposable>();
  private disposed = false;

  add<T extends IDisposable>(d: T): T {
    if (this.disposed) d.dispose();
    else this.items.add(d);
    return d;
  }

  delete(d: IDisposable): void {
    this.items.delete(d);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    // Dispose in reverse order of registration: later things may depend on earlier ones.
    for (const d of [...this.items].reverse()) {
      try {
        d.dispose();
      } catch (e) {
        errors.push(e);
      }
    }
    this.items.clear();
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed');
  }
}

export abstract class Disposable implements IDisposable {
  protected readonly _store = new DisposableStore();
  protected _register<T extends IDisposable>(d: T): T {
    return this._store.add(d);
  }
  dispose(): void {
    this._store.dispose();
  }
}

export type Event<T> = (listener: (e: T) => void) => IDisposable;

export class Emitter<T> implements IDisposable {
  private listeners = new Set<(e: T) => void>();
  private disposed = false;

  readonly event: Event<T> = (listener) => {
    if (this.disposed) return toDisposable(() => {});
    this.listeners.add(listener);
    return toDisposable(() => this.listeners.delete(listener));
  };

  fire(e: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  get hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
  }
}

/** Resolves on the next firing of an event, or rejects when the signal aborts. */
export function once<T>(event: Event<T>, signal?: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const sub = event((e) => {
      sub.dispose();
      signal?.removeEventListener('abort', onAbort);
      resolve(e);
    });
    const onAbort = () => {
      sub.dispose();
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
