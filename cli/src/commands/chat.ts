// `airlock chat`: an interactive session; each message runs as an agent task carrying the conversation so far.
import * as readline from 'node:readline';
import type { Command } from '../command';
import { withKernel } from '../kernel';
import { parseRunOptions } from '../run/options';
import { askOn, runTaskInTerminal } from '../run/session';

const USAGE = `airlock chat [--workspace DIR] [--provider NAME] [--model NAME] [--base-url URL] [--mode strict|explore|debug]
                   [--replay FILE] [--record FILE] [--yes]
  type a task and press Enter; /exit or Ctrl-D ends the chat; Ctrl-C cancels the running task`;

const HISTORY_CHARS = 8000;

/** The prompt for the next task: earlier exchanges (newest kept when long), then the new message. */
export function chatPrompt(history: Array<{ user: string; agent: string }>, message: string): string {
  if (!history.length) return message;
  let past = history.map((h) => `Person: ${h.user}\nAgent: ${h.agent}`).join('\n\n');
  if (past.length > HISTORY_CHARS) past = `…${past.slice(-HISTORY_CHARS)}`;
  return `Earlier in this conversation:\n${past}\n\nNow: ${message}`;
}

export const chat: Command = {
  name: 'chat',
  summary: 'interactive agent session in the terminal (each message runs as a task)',
  usage: USAGE,
  async run(args, io) {
    const o = parseRunOptions(args, io.cwd, USAGE, io.env);
    for (const w of o.warnings) io.err(`warning: ${w}`);
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: !!process.stdin.isTTY });
    rl.on('SIGINT', () => process.emit('SIGINT'));
    const lines = rl[Symbol.asyncIterator]();
    const history: Array<{ user: string; agent: string }> = [];
    try {
      return await withKernel(io, o.workspace, async (sup) => {
        const client = await sup.ready();
        io.err('airlock chat: type a task, /exit to quit');
        for (;;) {
          process.stderr.write('> ');
          const next = await lines.next();
          if (next.done) break;
          const message = String(next.value).trim();
          if (!message) continue;
          if (message === '/exit' || message === '/quit') break;
          const r = await runTaskInTerminal(client, o, chatPrompt(history, message), { ...io, write: (t) => process.stdout.write(t), ask: process.stdin.isTTY && !o.yes ? askOn(rl) : undefined });
          history.push({ user: message, agent: r.message });
        }
        return 0;
      });
    } finally {
      rl.close();
    }
  },
};
