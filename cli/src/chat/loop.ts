// The `airlock chat` loop: lines become tasks (one at a time, queued in order) or slash commands; approvals are answered
// inline; Ctrl+C stops the running task and a second one within 2 s (or one at an empty prompt) quits.
import type { Interface as ReadLine } from 'node:readline';
import type { TaskEvent } from '../../../protocol/src/agent';
import { formatError } from '../../../protocol/src/errors';
import { boundHistory } from '../../../protocol/src/history';
import type { HistoryTurn } from '../../../protocol/src/methods/agent';
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import type { CliIO } from '../command';
import { type ApprovalAnswer, parseApprovalAnswer } from '../run/format';
import type { RunOptions } from '../run/options';
import { runTaskInTerminal, type SessionIO } from '../run/session';
import { type ChatContext, parseSlash, runSlash, SLASH } from './commands';
import { eventLine, MarkdownStream, paint, type Style } from './render';
import type { ChatTurn } from './rewind';

const DOUBLE_PRESS_MS = 2000;

/** The conversation so far as task/start `history` (the kernel gives it to the model as earlier turns; newest kept). */
export function chatHistory(history: Array<{ user: string; agent: string }>): HistoryTurn[] {
  return boundHistory(
    history.flatMap((h): HistoryTurn[] => [
      { role: 'user', text: h.user },
      { role: 'assistant', text: h.agent },
    ]),
  );
}

export interface ChatDeps {
  client: IKernelClient;
  rl: ReadLine;
  io: CliIO;
  /** Raw stdout (streamed model text). */
  write(text: string): void;
  /** stdin is a terminal: approvals are asked inline and /stop, /cost, /help, /exit act while a task runs. */
  tty: boolean;
  style: Style;
  options: RunOptions;
  /** The chat's options re-resolved with extra flags (`--mode M`, `--model M`). */
  reparse(extra: string[]): RunOptions;
  columns(): number;
}

interface Running {
  id?: string;
  stopRequested: boolean;
  abort: AbortController;
  done: Promise<unknown>;
}

export class ChatLoop {
  private readonly queue: string[] = [];
  private readonly history: ChatTurn[] = [];
  private readonly totals = { tasks: 0, totalTokens: 0, costUsd: 0 };
  private live = { totalTokens: 0, costUsd: 0 };
  private task?: Running;
  private lastSet?: string;
  /** The conversation's workflow session (from its first turn): every turn continues it, and the kernel keeps its worker. */
  private sessionId?: string;
  private options: RunOptions;
  private readonly flags: string[] = [];
  private lastInterrupt = 0;
  private working = false;
  private closed = false;
  private exited = false;
  private questions: Promise<unknown> = Promise.resolve();
  private finish!: (code: number) => void;
  private readonly done = new Promise<number>((r) => {
    this.finish = r;
  });

  constructor(private readonly d: ChatDeps) {
    this.options = d.options;
  }

  async run(): Promise<number> {
    const { rl, client } = this.d;
    const sub = client.onEvent('task/event', (e) => {
      if (this.task?.id !== e.taskId || e.event.type !== 'usage') return;
      this.live = { totalTokens: e.event.totalTokens, costUsd: e.event.costUsd };
    });
    rl.on('line', (l) => this.onLine(l));
    rl.on('SIGINT', () => this.onInterrupt());
    rl.on('close', () => {
      this.closed = true;
      if (!this.working) this.exit(0);
    });
    this.d.io.err(`airlock chat: type a task and press Enter; /help lists the commands, /exit quits`);
    this.prompt();
    try {
      return await this.done;
    } finally {
      sub.dispose();
    }
  }

  private context(): ChatContext {
    return {
      client: this.d.client,
      io: this.d.io,
      style: this.d.style,
      options: () => this.options,
      reconfigure: (flag, value) => {
        this.flags.push(`--${flag}`, value);
        const before = new Set(this.options.warnings);
        this.options = this.d.reparse(this.flags);
        return this.options.warnings.filter((w) => !before.has(w));
      },
      stop: async () => this.stopTask(),
      totals: () => {
        const live = this.task ? this.live : { totalTokens: 0, costUsd: 0 };
        return {
          tasks: this.totals.tasks + (this.task ? 1 : 0),
          totalTokens: this.totals.totalTokens + live.totalTokens,
          costUsd: this.totals.costUsd + live.costUsd,
          running: !!this.task,
        };
      },
      lastSetId: () => this.lastSet,
      turns: () => this.history,
    };
  }

  private showError = (err: unknown) => this.d.io.err(formatError(err));

  private prompt(): void {
    if (!this.closed && !this.exited) this.d.rl.prompt();
  }

  private onLine(line: string): void {
    if (this.exited) return;
    const slash = parseSlash(line);
    // At a terminal the urgent commands act now, even mid-task; everything else keeps its order.
    if (slash && this.working && this.d.tty && SLASH[slash.name]?.immediate) {
      void runSlash(this.context(), slash, this.showError).then((r) => {
        if (r === 'exit') this.exit(0);
      });
      return;
    }
    if (!line.trim()) {
      if (!this.working) this.prompt();
      return;
    }
    if (this.working && this.d.tty) this.d.io.err(paint(this.d.style, '(queued: runs when the current task ends)', 'dim'));
    this.queue.push(line);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      for (let line = this.queue.shift(); line !== undefined && !this.exited; line = this.queue.shift()) {
        const slash = parseSlash(line);
        if (slash) {
          if ((await runSlash(this.context(), slash, this.showError)) === 'exit') {
            this.exit(0);
            return;
          }
        } else {
          await this.runMessage(line.trim().replace(/^\/\//, '/'));
        }
      }
    } finally {
      this.working = false;
    }
    if (this.closed) this.exit(0);
    else this.prompt();
  }

  private async runMessage(message: string): Promise<void> {
    const { io, style } = this.d;
    const abort = new AbortController();
    const md = new MarkdownStream(style, (t) => this.d.write(t), this.d.columns);
    const sio: SessionIO = {
      ...io,
      out: (l) => {
        md.flush();
        io.out(eventLine(style, l));
      },
      write: (t) => md.push(t),
      approve: this.d.tty && !this.options.yes ? (e) => this.approve(e, abort.signal) : undefined,
      started: (id) => {
        if (!this.task) return;
        this.task.id = id;
        if (this.task.stopRequested) void this.d.client.request('task/cancel', { taskId: id }).catch(() => undefined);
      },
    };
    this.live = { totalTokens: 0, costUsd: 0 };
    const proposal = this.history.flatMap((h) => (h.setId ? [h.setId] : []));
    const o = {
      ...this.options,
      history: chatHistory(this.history),
      proposal,
      chat: true,
      ...(this.sessionId ? { sessionId: this.sessionId } : {}),
    };
    const run = runTaskInTerminal(this.d.client, o, message, sio);
    this.task = { stopRequested: false, abort, done: run.catch(() => undefined) };
    try {
      const r = await run;
      this.totals.tasks++;
      this.totals.totalTokens += r.usage.totalTokens;
      this.totals.costUsd += r.usage.costUsd;
      if (r.setId && !r.merged) io.out(paint(style, `(in this chat: /review shows its diff, /merge merges it)`, 'dim'));
      if (r.setId) this.lastSet = r.setId;
      if (r.sessionId) this.sessionId = r.sessionId;
      this.history.push({ user: message, agent: r.message, taskId: r.taskId, ...(r.setId ? { setId: r.setId } : {}) });
    } catch (err) {
      this.showError(err);
    } finally {
      md.flush();
      abort.abort();
      this.task = undefined;
    }
  }

  /** One approval at a time (parallel tool calls ask in turn): y / s / n [REASON]; a bare n asks for the reason. */
  private approve(_e: Extract<TaskEvent, { type: 'approval-request' }>, signal: AbortSignal): Promise<ApprovalAnswer | undefined> {
    const next = this.questions.then(async () => {
      const q =
        `  ${paint(this.d.style, 'allow?', 'yellow', 'bold')} [y] once · [s] for the rest of this task · [n] deny ` +
        '(n REASON says why): ';
      const answer = await this.question(q, signal);
      if (answer === undefined) return undefined;
      let a = parseApprovalAnswer(answer);
      if (a.decision === 'deny' && !a.note && /^\s*(?:n|no|d|deny)\s*$/i.test(answer)) {
        const why = await this.question('  reason for the agent (Enter for none): ', signal);
        if (why === undefined) return undefined;
        if (why.trim()) a = { ...a, note: why.trim().slice(0, 2000) };
      }
      const said =
        a.decision === 'deny'
          ? `  ✗ denied${a.note ? `: ${a.note}` : ''}`
          : `  ✓ allowed ${a.decision === 'allow' ? 'once' : 'for the rest of this task'}`;
      this.d.io.out(eventLine(this.d.style, said));
      return a;
    });
    this.questions = next.catch(() => undefined);
    return next;
  }

  /** Asks on the terminal; undefined when the task ends first; '' (a deny) when stdin has closed and nobody can answer. */
  private question(q: string, signal: AbortSignal): Promise<string | undefined> {
    const { rl } = this.d;
    if (signal.aborted) return Promise.resolve(undefined);
    if (this.closed) return Promise.resolve('');
    return new Promise((resolve) => {
      const onClose = () => resolve('');
      const onAbort = () => {
        rl.off('close', onClose);
        resolve(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      rl.once('close', onClose);
      rl.question(q, { signal }, (answer) => {
        signal.removeEventListener('abort', onAbort);
        rl.off('close', onClose);
        // Approval answers are not worth recalling with ↑ (and a reason may be private): keep them out of the history.
        const h = (rl as unknown as { history?: string[] }).history;
        if (h?.[0] === answer) h.shift();
        resolve(answer);
      });
    });
  }

  private stopTask(): boolean {
    const t = this.task;
    if (!t) return false;
    t.stopRequested = true;
    t.abort.abort();
    this.queue.length = 0;
    if (t.id) void this.d.client.request('task/cancel', { taskId: t.id }).catch(() => undefined);
    this.d.io.err(paint(this.d.style, `airlock: stopping the task${t.id ? ` ${t.id}` : ''} (Ctrl+C again within 2 s quits)`, 'yellow'));
    return true;
  }

  private onInterrupt(): void {
    if (this.exited) return;
    const { rl } = this.d;
    const now = Date.now();
    const again = now - this.lastInterrupt < DOUBLE_PRESS_MS;
    this.lastInterrupt = now;
    if (again) {
      this.d.io.err('');
      this.exit(130);
      return;
    }
    if (!this.working) {
      // At the prompt: typed text is cleared (as in a shell); an empty prompt quits.
      if (rl.line) {
        rl.write(null, { ctrl: true, name: 'e' });
        rl.write(null, { ctrl: true, name: 'u' });
        return;
      }
      this.d.io.err('');
      this.exit(130);
      return;
    }
    if (!this.stopTask()) this.d.io.err('airlock: Ctrl+C again within 2 s quits');
  }

  /** Leaves the chat; a running task is cancelled and given a moment to end cleanly (its sandbox stopped). */
  private exit(code: number): void {
    if (this.exited) return;
    this.exited = true;
    const t = this.task;
    if (!t) {
      this.finish(code);
      return;
    }
    if (!t.stopRequested) this.stopTask();
    void Promise.race([t.done, new Promise((r) => setTimeout(r, 3000).unref())]).then(() => this.finish(code));
  }
}
