// `airlock chat` slash commands: /mode /model /review /merge /rewind /stop /cost /sessions /help /exit, over the same review and
// sessions code as `airlock review` and `airlock sessions`.
import { AirlockError } from '../../../protocol/src/errors';
import type { PatchSetSummary } from '../../../protocol/src/patches';
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import type { CliIO } from '../command';
import { sessionsAction } from '../commands/sessions';
import * as review from '../review/actions';
import type { RunOptions } from '../run/options';
import { eventLine, paint, type Style } from './render';
import { type ChatTurn, rewindChat } from './rewind';

export interface ChatTotals {
  tasks: number;
  totalTokens: number;
  costUsd: number;
}

/** What a slash command may see and do in the running chat. */
export interface ChatContext {
  client: IKernelClient;
  io: CliIO;
  style: Style;
  options(): RunOptions;
  /** Re-resolves the options with `--mode`/`--model` VALUE (managed settings still apply); returns their warnings. */
  reconfigure(flag: 'mode' | 'model', value: string): string[];
  /** Cancels the running task; false when none runs. */
  stop(): Promise<boolean>;
  /** Finished tasks' usage plus the running task's usage so far. */
  totals(): ChatTotals & { running: boolean };
  /** The patch set the last task of this chat produced, if any. */
  lastSetId(): string | undefined;
  /** The chat's finished turns, oldest first (the conversation the next message carries); /rewind shortens it. */
  turns(): ChatTurn[];
}

export type SlashResult = 'exit' | undefined;

export interface SlashCommand {
  args: string;
  help: string;
  /** Runs at once even while a task runs (typed at a TTY); the others wait for the task to end. */
  immediate?: boolean;
  run(ctx: ChatContext, args: string[]): Promise<SlashResult>;
}

/** `/name arg...` → its parts; undefined for a message (a leading `//` sends a message starting with `/`). */
export function parseSlash(line: string): { name: string; args: string[] } | undefined {
  const t = line.trim();
  if (!t.startsWith('/') || t.startsWith('//')) return undefined;
  const [name, ...args] = t.slice(1).split(/\s+/);
  return { name: name!.toLowerCase(), args };
}

/** The newest set: the one this chat produced last, else the newest the kernel holds (pending first when asked). */
async function latestSet(ctx: ChatContext, pending: boolean): Promise<string | undefined> {
  const mine = ctx.lastSetId();
  if (mine) return mine;
  const { sets } = await ctx.client.request('review/list', pending ? { status: 'pending' } : {});
  return [...sets].sort((a: PatchSetSummary, b: PatchSetSummary) => b.createdAt - a.createdAt)[0]?.id;
}

/** Review actions print through an io whose lines are coloured as a diff on a colour terminal. */
const reviewCtx = (ctx: ChatContext): review.ReviewCtx => ({
  client: ctx.client,
  workspace: ctx.options().workspace,
  io: { ...ctx.io, out: (l) => ctx.io.out(eventLine(ctx.style, l)) },
});

const MODES = ['strict', 'explore', 'debug'];

export const SLASH: Record<string, SlashCommand> = {
  help: {
    args: '',
    help: 'these commands, and the keys',
    immediate: true,
    async run(ctx) {
      for (const [name, c] of Object.entries(SLASH)) {
        const usage = paint(ctx.style, `/${name}${c.args ? ` ${c.args}` : ''}`, 'bold');
        if (c.help) ctx.io.out(`  ${usage.padEnd(ctx.style.colour ? 38 : 30)} ${c.help}`);
      }
      ctx.io.out('  keys: Ctrl+C stops the running task (twice within 2 s quits); at an empty prompt Ctrl+C or Ctrl+D quits;');
      ctx.io.out('        ↑/↓ walk the history of earlier chats. Approvals: y = once, s = for the rest of this task, n REASON = deny');
      return undefined;
    },
  },
  mode: {
    args: '[strict|explore|debug]',
    help: 'show or set the policy mode of the next tasks',
    async run(ctx, [m]) {
      if (m !== undefined) {
        if (!MODES.includes(m)) throw new AirlockError('CLI_USAGE', `unknown mode ${JSON.stringify(m)}`, `one of: ${MODES.join(', ')}`);
        for (const w of ctx.reconfigure('mode', m)) ctx.io.err(`warning: ${w}`);
      }
      ctx.io.out(`mode: ${ctx.options().mode ?? "the kernel's default"}`);
      return undefined;
    },
  },
  model: {
    args: '[NAME]',
    help: 'show or set the model of the next tasks',
    async run(ctx, [m]) {
      if (m !== undefined) for (const w of ctx.reconfigure('model', m)) ctx.io.err(`warning: ${w}`);
      ctx.io.out(`model: ${ctx.options().model ?? "the provider's default"}`);
      return undefined;
    },
  },
  review: {
    args: '',
    help: 'list the patch sets and show the latest one with its diff',
    async run(ctx) {
      const c = reviewCtx(ctx);
      await review.list(c);
      const id = await latestSet(ctx, false);
      if (!id) return undefined;
      ctx.io.out('');
      await review.show(c, id, true);
      ctx.io.out(`(/merge ${id} accepts all of it and merges it into the workspace)`);
      return undefined;
    },
  },
  merge: {
    args: '[SET]',
    help: 'accept every change of SET (default: the latest) and merge it into the workspace',
    async run(ctx, [id]) {
      const setId = id ?? (await latestSet(ctx, true));
      if (!setId) {
        ctx.io.out('no pending patch set to merge');
        return undefined;
      }
      const c = reviewCtx(ctx);
      await review.decide(c, setId, 'accept', [], []);
      await review.merge(c, setId);
      return undefined;
    },
  },
  rewind: {
    args: '[N]',
    help: 'list the turns; with N keep turns 1..N: later ones leave the conversation and their patch sets review',
    async run(ctx, [n]) {
      await rewindChat(ctx.client, ctx.io, ctx.turns(), n, ctx.totals().running);
      return undefined;
    },
  },
  stop: {
    args: '',
    help: 'stop the running task (like Ctrl+C)',
    immediate: true,
    async run(ctx) {
      if (!(await ctx.stop())) ctx.io.out('no task is running');
      return undefined;
    },
  },
  cost: {
    args: '',
    help: 'tokens and cost so far in this chat',
    immediate: true,
    async run(ctx) {
      const t = ctx.totals();
      const tokens = t.totalTokens.toLocaleString('en-US');
      ctx.io.out(`this chat: ${t.tasks} task(s)${t.running ? ' (one running)' : ''}, ${tokens} tokens, $${t.costUsd.toFixed(4)}`);
      return undefined;
    },
  },
  sessions: {
    args: '',
    help: 'the stored task sessions, newest first (`airlock sessions show TASK` for one)',
    async run(ctx) {
      await sessionsAction(ctx.client, ['list', '--limit', '10'], ctx.io);
      return undefined;
    },
  },
  exit: { args: '', help: 'leave the chat (stops a running task); also /quit', immediate: true, run: async () => 'exit' },
};
SLASH.quit = { ...SLASH.exit!, help: '' };

/** Runs one slash command; errors are shown (code, message, hint) and the chat goes on. */
export async function runSlash(
  ctx: ChatContext,
  cmd: { name: string; args: string[] },
  showError: (err: unknown) => void,
): Promise<SlashResult> {
  const c = SLASH[cmd.name];
  if (!c) {
    ctx.io.err(`unknown command /${cmd.name}; /help lists them (start a message with // to send a leading /)`);
    return undefined;
  }
  try {
    return await c.run(ctx, cmd.args);
  } catch (err) {
    showError(err);
    return undefined;
  }
}
