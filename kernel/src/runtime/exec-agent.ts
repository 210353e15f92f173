// Host side of the exec agent (agent-source.ts): one attached stream per sandbox, requests matched to replies by id.
// A command costs one round trip on that stream instead of a `docker exec` (~85 ms here). Everything on the stream is
// untrusted: a command can write the agent's stdout through /proc/1/fd/1 (same uid), so each line is size-capped,
// authenticated and validated before any field is read, and every request has a kernel-side deadline.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import { AirlockError } from '../../../protocol/src/errors';
import { SandboxExecResult } from '../../../protocol/src/methods/sandbox';
import { LineReader, REPLY_DOMAIN, REQUEST_DOMAIN, signLine, verifyLine } from './agent-lines';
import { AGENT_MAX_REQUEST_BYTES, AGENT_SOURCE } from './agent-source';

export { AGENT_SOURCE };

/** Largest stdout (and stderr) a command may ask to keep; bounds the reply line the kernel will buffer. */
export const MAX_AGENT_OUTPUT = 16 * 1024 * 1024;
/** Agent's default output cap per stream (agent-source.ts). */
const DEFAULT_AGENT_OUTPUT = 1024 * 1024;
/** A command sent without a timeout gets this one (the exec tool's own maximum): nothing waits forever. */
export const DEFAULT_EXEC_TIMEOUT_MS = 30 * 60_000;
/** After the command's timeout, how long the agent has to kill it and answer before the sandbox counts as broken. */
export const EXEC_GRACE_MS = 15_000;
/** Bytes that are not authenticated replies (a command writing the agent's stdout) before the channel is given up. */
export const AGENT_FLOOD_BUDGET_BYTES = 256 * 1024 * 1024;
/** Line cap while nothing big is expected (the ready line and small replies). */
const BASE_LINE_CAP = 64 * 1024;

export const AgentRequest = z.object({
  argv: z.array(z.string()).min(1),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  stdin: z.string().optional(),
  timeoutMs: z.number().int().positive().optional(),
  maxOutput: z.number().int().positive().max(MAX_AGENT_OUTPUT).optional(),
});
export type AgentRequest = z.infer<typeof AgentRequest>;

const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
/** What the agent may say: ready once, then one result per request (stdout/stderr base64 on the wire). */
const AgentMessage = z.discriminatedUnion('t', [
  z.object({ t: z.literal('ready'), pid: z.number().int(), oom: z.number().int() }),
  SandboxExecResult.omit({ via: true }).extend({ t: z.literal('result'), id: z.number().int().positive(), stdout: Base64, stderr: Base64 }),
]);

/** exitCode/signal, spawn errors (EAGAIN under the pids limit), timeout, OOM kill, and the command's own duration. */
export type ExecResult = SandboxExecResult;

export interface AgentClientOptions {
  graceMs?: number;
  defaultTimeoutMs?: number;
  floodBudgetBytes?: number;
  /** The stream ended from the other side (not closed or broken here): the container ended, or the engine dropped it. */
  onGone?: () => void;
}

interface Pending {
  /** Absent once cancelled: the reply is still awaited (and its size allowed) but goes nowhere. */
  settle?: { resolve: (r: ExecResult) => void; reject: (e: Error) => void };
  what: string;
  replyCap: number;
  /** Milliseconds left on the kernel-side deadline while it is suspended (sandbox paused). */
  remaining: number;
  dueAt: number;
  timer?: NodeJS.Timeout;
}

export class AgentClient {
  private nextId = 1;
  private readonly key = randomBytes(32);
  private readonly reader: LineReader;
  private readonly pending = new Map<number, Pending>();
  private readyWaiter?: { resolve: () => void; reject: (e: Error) => void };
  private suspended = false;
  private junk = 0;
  private closed?: Error;
  private readonly o: Required<Omit<AgentClientOptions, 'onGone'>> & Pick<AgentClientOptions, 'onGone'>;
  readonly ready: Promise<void>;

  constructor(
    private readonly stream: Duplex,
    options: AgentClientOptions = {},
  ) {
    this.o = { graceMs: EXEC_GRACE_MS, defaultTimeoutMs: DEFAULT_EXEC_TIMEOUT_MS, floodBudgetBytes: AGENT_FLOOD_BUDGET_BYTES, ...options };
    this.ready = new Promise((resolve, reject) => {
      this.readyWaiter = { resolve, reject };
    });
    this.ready.catch(() => {
      /* observed by callers that await it */
    });
    this.reader = new LineReader(
      () => this.lineCap(),
      (l) => this.onLine(l),
      (n) => this.onJunk(n),
    );
    stream.on('data', (b: Buffer) => {
      if (!this.closed) this.reader.push(Buffer.isBuffer(b) ? b : Buffer.from(String(b)));
    });
    const close = (why: string) => {
      const fromThere = !this.closed;
      this.fail(
        new AirlockError(
          'SANDBOX_AGENT_GONE',
          `the sandbox's exec agent ${why}`,
          'the sandbox was stopped, killed (OOM?) or its agent crashed; create a new one',
        ),
      );
      if (fromThere) this.o.onGone?.();
    };
    stream.on('end', () => close('closed its stream'));
    stream.on('close', () => close('closed its stream'));
    stream.on('error', (e) => close(`stream failed: ${e.message}`));
    // A newline first: it terminates whatever an engine may have written into stdin before us (Podman does).
    stream.write(`\nkey ${this.key.toString('hex')}\n`);
  }

  /** Bytes held for a partial line: never more than the current line cap. */
  get bufferedBytes(): number {
    return this.reader.bufferedBytes;
  }

  /** The longest line accepted now: the biggest reply a pending request may produce, or a small one. */
  lineCap(): number {
    let cap = BASE_LINE_CAP;
    for (const p of this.pending.values()) cap = Math.max(cap, p.replyCap);
    return cap;
  }

  private onJunk(bytes: number): void {
    this.junk += bytes;
    if (this.junk > this.o.floodBudgetBytes) {
      this.breakChannel(
        new AirlockError(
          'SANDBOX_AGENT_FLOOD',
          `more than ${this.o.floodBudgetBytes} bytes that are not the exec agent's replies were written to its output`,
          "a command in the sandbox writes to the agent's stdout (/proc/1/fd/1); the sandbox is treated as broken",
        ),
      );
    }
  }

  private onLine(line: Buffer): void {
    if (line.length === 0) return; // the agent starts every reply with a newline
    const body = verifyLine(this.key, REPLY_DOMAIN, line);
    if (!body) return this.onJunk(line.length + 1);
    let raw: unknown;
    try {
      raw = JSON.parse(body.toString('utf8'));
    } catch {
      return this.onJunk(line.length + 1);
    }
    const parsed = AgentMessage.safeParse(raw);
    if (!parsed.success) return this.onJunk(line.length + 1);
    const msg = parsed.data;
    switch (msg.t) {
      case 'ready':
        this.readyWaiter?.resolve();
        return;
      case 'result': {
        const p = this.pending.get(msg.id);
        if (!p) return this.onJunk(line.length + 1); // a replayed reply: its id was answered already
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        const { t: _t, id: _id, ...rest } = msg;
        p.settle?.resolve({
          ...rest,
          stdout: Buffer.from(rest.stdout, 'base64').toString('utf8'),
          stderr: Buffer.from(rest.stderr, 'base64').toString('utf8'),
          via: 'agent',
        });
        return;
      }
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.closed = err;
    this.readyWaiter?.reject(err);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.settle?.reject(err);
    }
    this.pending.clear();
  }

  /** The channel cannot be trusted to answer any more: every pending request fails and the stream is closed. */
  private breakChannel(err: AirlockError): void {
    this.fail(err);
    this.stream.destroy();
  }

  exec(req: AgentRequest, signal?: AbortSignal): Promise<ExecResult> {
    if (this.closed) return Promise.reject(this.closed);
    signal?.throwIfAborted();
    const checked = AgentRequest.safeParse(req);
    if (!checked.success)
      return Promise.reject(
        new AirlockError(
          'SANDBOX_BAD_EXEC',
          `invalid command for the exec agent: ${checked.error.issues[0]?.message}`,
          `argv must not be empty and maxOutput is at most ${MAX_AGENT_OUTPUT} bytes`,
        ),
      );
    const full = { ...checked.data, timeoutMs: checked.data.timeoutMs ?? this.o.defaultTimeoutMs };
    const id = this.nextId++;
    const line = signLine(this.key, REQUEST_DOMAIN, JSON.stringify({ id, ...full }));
    if (Buffer.byteLength(line) > AGENT_MAX_REQUEST_BYTES) {
      return Promise.reject(
        new AirlockError(
          'SANDBOX_EXEC_TOO_LARGE',
          `the command and its stdin take ${Buffer.byteLength(line)} bytes; the exec agent takes at most ${AGENT_MAX_REQUEST_BYTES}`,
          'pass large inputs through a file in the workspace',
        ),
      );
    }
    const what = `command ${JSON.stringify(full.argv[0].slice(0, 200))}`;
    return new Promise((resolve, reject) => {
      // A cancelled command is killed with its whole process group inside the sandbox, not just forgotten here.
      const onAbort = () => {
        const p = this.pending.get(id);
        if (p) p.settle = undefined;
        if (!this.closed) this.stream.write(signLine(this.key, REQUEST_DOMAIN, JSON.stringify({ kill: id })));
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const maxOutput = full.maxOutput ?? DEFAULT_AGENT_OUTPUT;
      const p: Pending = {
        what,
        replyCap: 2 * 4 * Math.ceil(maxOutput / 3) + BASE_LINE_CAP,
        remaining: full.timeoutMs + this.o.graceMs,
        dueAt: 0,
        settle: {
          resolve: (r) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(r);
          },
          reject: (e) => {
            signal?.removeEventListener('abort', onAbort);
            reject(e);
          },
        },
      };
      this.pending.set(id, p);
      if (!this.suspended) this.arm(id, p);
      this.stream.write(line);
    });
  }

  private arm(id: number, p: Pending): void {
    p.dueAt = Date.now() + p.remaining;
    p.timer = setTimeout(() => this.overdue(id), p.remaining);
  }

  private overdue(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    if (!p.settle) {
      this.pending.delete(id);
      return;
    } // cancelled and never answered: nobody waits for it
    this.breakChannel(
      new AirlockError(
        'SANDBOX_AGENT_UNRESPONSIVE',
        `the exec agent did not answer ${p.what} within its timeout plus ${this.o.graceMs} ms`,
        'the sandbox is treated as broken (its agent is stuck or a command swallowed the reply); create a new one',
      ),
    );
  }

  /** While the sandbox is frozen (engine pause) its commands make no progress: their deadlines stop too. */
  suspendDeadlines(): void {
    if (this.suspended) return;
    this.suspended = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.remaining = Math.max(0, p.dueAt - Date.now());
    }
  }

  resumeDeadlines(): void {
    if (!this.suspended) return;
    this.suspended = false;
    for (const [id, p] of this.pending) {
      p.remaining = Math.max(p.remaining, this.o.graceMs);
      this.arm(id, p);
    }
  }

  close(): void {
    this.fail(new AirlockError('SANDBOX_AGENT_GONE', 'the exec agent was closed'));
    this.stream.destroy();
  }
}
