// The kernel's end of a provider worker: sends model requests down its stdin, reads its frames from stdout. Everything
// the worker says is untrusted: each frame is size-capped and parsed with the zod schemas before use, a turn's total is
// capped, and a worker that breaks the protocol is stopped and fails its turns with a clear error.
import type { Duplex } from 'node:stream';
import type { StreamEvent } from '../../../../protocol/src/agent';
import { AirlockError, type ErrorPayload } from '../../../../protocol/src/errors';
import { ProviderErrorCodes } from '../providers/errors';
import type { ProviderRequest } from '../providers/types';
import {
  FromWorker,
  LineSplitter,
  MAX_WORKER_FRAME,
  MAX_WORKER_TURN,
  type ToWorker,
  WorkerErrorDetails,
  type WorkerVendor,
} from './frames';

export const WorkerErrorCodes = {
  Protocol: 'PROVIDER_WORKER_PROTOCOL',
  Exited: 'PROVIDER_WORKER_EXITED',
  Start: 'PROVIDER_WORKER_START',
} as const;

/** The worker process as the client sees it (engineExecStream in a sandbox; a child process in unit tests). */
export interface WorkerProcess {
  stdio: Duplex;
  stderrTail(): string;
  /** Resolves once the stderr is complete (socket-exec.ts); absent: complete when `stdio` ends. */
  settled?(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const KNOWN = new Set<string>(Object.values(ProviderErrorCodes));

/** Printable, bounded text from below (stderr, messages): control characters become spaces. */
function clean(s: string, max: number): string {
  return s
    .slice(-max)
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ')
    .trim();
}

/** A worker's error, believed only as far as it is one of the provider error codes with well-formed details. */
export function workerError(p: ErrorPayload, vendor: string): AirlockError {
  const d = WorkerErrorDetails.safeParse(p.details);
  type ProviderCode = (typeof ProviderErrorCodes)[keyof typeof ProviderErrorCodes];
  const code = (KNOWN.has(p.code) ? p.code : ProviderErrorCodes.BadResponse) as ProviderCode;
  return new AirlockError(code, clean(p.message, 2000), p.hint === undefined ? undefined : clean(p.hint, 500), {
    vendor,
    retryable: d.success ? d.data.retryable : false,
    ...(d.success ? { status: d.data.status, retryAfterMs: d.data.retryAfterMs } : {}),
  });
}

interface Turn {
  vendor: string;
  events: StreamEvent[];
  bytes: number;
  done: boolean;
  error?: AirlockError;
  wake?: () => void;
}

export class ProviderWorkerClient {
  private readonly turns = new Map<string, Turn>();
  private seq = 0;
  private failure: AirlockError | undefined;
  private onReady?: () => void;
  private onStartFailed?: (e: AirlockError) => void;

  constructor(
    private readonly proc: WorkerProcess,
    private readonly onDead: (e: AirlockError) => void = () => undefined,
  ) {}

  /** The error that ended this worker, if it ended. */
  get dead(): AirlockError | undefined {
    return this.failure;
  }

  /** No model request in flight (a worker is kept between a conversation's turns only then). */
  get idle(): boolean {
    return this.turns.size === 0;
  }

  /** Sends the worker's code (the sandbox has none of ours) and waits for its `ready`. */
  async start(source: string): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      this.onReady = resolve;
      this.onStartFailed = reject;
    });
    const lines = new LineSplitter(
      MAX_WORKER_FRAME,
      (l) => this.line(l),
      () =>
        this.kill(
          new AirlockError(
            WorkerErrorCodes.Protocol,
            `the provider sandbox sent a frame over ${MAX_WORKER_FRAME} bytes`,
            'the worker was stopped; the turn is not retried with it',
          ),
        ),
    );
    this.proc.stdio.on('data', (b: Buffer) => {
      if (!this.failure) lines.push(b);
    });
    // Why it ended is told once its stderr is complete (on a stdio socket, that comes a moment after the socket's end).
    const ended = (why?: string) => void (this.proc.settled?.() ?? Promise.resolve()).then(() => this.kill(this.exited(why)));
    this.proc.stdio.on('error', (e) => ended(e.message));
    this.proc.stdio.on('end', () => ended());
    this.proc.stdio.on('close', () => ended());
    const code = Buffer.from(source, 'utf8');
    this.proc.stdio.write(`${code.length}\n`);
    this.proc.stdio.write(code);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AirlockError(
              WorkerErrorCodes.Start,
              `the provider worker did not start within ${READY_TIMEOUT_MS / 1000} s`,
              'is the ai-provider sandbox image built?',
            ),
          ),
        READY_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([ready, late]);
    } catch (e) {
      this.kill(e as AirlockError);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Streams one model turn through the worker (the IProvider contract: errors before any event are thrown). */
  async *stream(vendor: WorkerVendor, request: ProviderRequest, signal: AbortSignal): AsyncGenerator<StreamEvent> {
    if (this.failure) throw this.failure;
    const id = `r${++this.seq}`;
    const turn: Turn = { vendor, events: [], bytes: 0, done: false };
    this.turns.set(id, turn);
    const onAbort = () => {
      this.send({ t: 'abort', id });
      turn.wake?.();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let produced = false;
    try {
      this.send({ t: 'request', id, vendor, request });
      for (;;) {
        if (signal.aborted) throw signal.reason;
        const ev = turn.events.shift();
        if (ev) {
          produced = true;
          yield ev;
          continue;
        }
        if (turn.error) {
          if (!produced) throw turn.error;
          yield {
            type: 'error',
            error: turn.error.toPayload(),
            retryable: (turn.error.details as { retryable?: boolean } | undefined)?.retryable === true,
          };
          return;
        }
        if (turn.done) return;
        await new Promise<void>((r) => {
          turn.wake = r;
        });
        turn.wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (!turn.done && !turn.error && !this.failure) this.send({ t: 'abort', id });
      this.turns.delete(id);
    }
  }

  /** Stops the worker (its stdio): pending turns fail with `e`. */
  kill(e: AirlockError): void {
    if (this.failure) return;
    this.failure = e;
    this.onStartFailed?.(e);
    for (const t of this.turns.values()) {
      t.error ??= e;
      t.wake?.();
    }
    this.proc.stdio.destroy();
    this.onDead(e);
  }

  private exited(why?: string): AirlockError {
    const tail = clean(this.proc.stderrTail(), 1500);
    return new AirlockError(
      WorkerErrorCodes.Exited,
      `the provider worker in its sandbox stopped${why ? ` (${clean(why, 200)})` : ''}${tail ? `: ${tail}` : ''}`,
      'the turn failed; the next one starts a new provider sandbox',
      { vendor: 'worker', retryable: false },
    );
  }

  private send(m: ToWorker): void {
    if (this.failure || this.proc.stdio.destroyed) return;
    this.proc.stdio.write(JSON.stringify(m) + '\n');
  }

  private line(text: string): void {
    if (!text.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return this.kill(
        new AirlockError(
          WorkerErrorCodes.Protocol,
          `the provider sandbox sent a line that is not JSON: ${JSON.stringify(clean(text, 200))}`,
          'the worker was stopped; a provider sandbox writes only frames to stdout',
        ),
      );
    }
    const f = FromWorker.safeParse(raw);
    if (!f.success) {
      const where = f.error.issues[0];
      return this.kill(
        new AirlockError(
          WorkerErrorCodes.Protocol,
          `the provider sandbox sent a malformed frame (${where?.path.join('.') || 'frame'}: ${where?.message ?? 'invalid'})`,
          'the worker was stopped; its events are not used',
        ),
      );
    }
    const m = f.data;
    if (m.t === 'ready') {
      this.onReady?.();
      return;
    }
    const turn = this.turns.get(m.id);
    if (!turn || turn.done || turn.error) return; // an aborted turn's stragglers
    switch (m.t) {
      case 'event':
        turn.bytes += text.length;
        if (turn.bytes > MAX_WORKER_TURN) {
          return this.kill(
            new AirlockError(
              WorkerErrorCodes.Protocol,
              `the provider sandbox streamed over ${MAX_WORKER_TURN} bytes for one turn`,
              'the worker was stopped',
            ),
          );
        }
        turn.events.push(m.event.type === 'error' ? { ...m.event, error: workerError(m.event.error, turn.vendor).toPayload() } : m.event);
        break;
      case 'end':
        turn.done = true;
        break;
      case 'fail':
        turn.error = workerError(m.error, turn.vendor);
        break;
      default: {
        const never: never = m;
        void never;
      }
    }
    turn.wake?.();
  }
}
