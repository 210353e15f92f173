// `airlock chat`: an interactive session; each message runs as an agent task carrying the conversation so far.
import * as readline from 'node:readline';
import { ChatLoop } from '../chat/loop';
import { HISTORY_MAX_LINES, historyFile, loadHistory, looksSecret, saveHistory } from '../chat/history';
import { colourFor } from '../chat/render';
import type { Command } from '../command';
import { withKernel } from '../kernel';
import { osKeychain } from '../auth/keychain';
import { prepareTaskTools } from '../mcp/prepare';
import { isRemoteEngine } from '../../../core/src/remote/mode';
import { parseRunOptions } from '../run/options';

export { chatHistory } from '../chat/loop';

const USAGE = `airlock chat [--workspace DIR] [--provider NAME] [--model NAME] [--base-url URL] [--mode strict|explore|debug]
                   [--replay FILE] [--record FILE] [--yes]
  type a task and press Enter: it runs with the conversation so far; the model's text streams, tool calls and their
  decisions show as they happen, and approvals are answered inline: y (once), s (for the rest of the task), n REASON
  commands: /mode M, /model M, /review, /merge [SET], /stop, /cost, /sessions, /help, /exit (a leading // sends a /)
  keys: Ctrl+C stops the running task, twice within 2 s quits; Ctrl+C at an empty prompt or Ctrl+D quits
  history: $AIRLOCK_STATE_ROOT/chat_history, else $XDG_STATE_HOME/airlock/chat_history (lines that look like keys are not kept)
  colour only on a terminal, never with NO_COLOR; exit codes: 0 /exit or Ctrl+D, 130 quit with Ctrl+C, 2 usage or error`;

export const chat: Command = {
  name: 'chat',
  summary: 'interactive agent session in the terminal (each message runs as a task)',
  usage: USAGE,
  async run(args, io) {
    const o = parseRunOptions(args, io.cwd, USAGE, io.env);
    for (const w of o.warnings) io.err(`warning: ${w}`);
    const tty = !!process.stdin.isTTY;
    const file = historyFile(io.env);
    const rl = readline.createInterface({
      input: process.stdin,
      output: process.stderr,
      terminal: tty,
      prompt: '> ',
      history: tty ? loadHistory(file, io.env) : [],
      historySize: HISTORY_MAX_LINES,
      removeHistoryDuplicates: true,
    });
    let warned = false;
    // Only a person's lines at a terminal are kept; a line that looks like a key leaves the in-memory history too.
    if (tty)
      rl.on('history', (h: string[]) => {
        for (let i = h.length - 1; i >= 0; i--) if (looksSecret(h[i]!, io.env)) h.splice(i, 1);
        const problem = saveHistory(file, h, io.env);
        if (problem && !warned) {
          warned = true;
          io.err(`warning: the chat history cannot be saved: ${problem}`);
        }
      });
    try {
      return await withKernel(io, o.workspace, async (sup) => {
        const client = await sup.ready();
        // The person's MCP servers and the plugins found, so every turn is offered their tools.
        await prepareTaskTools(client, o.workspace, io, { keychain: osKeychain, remote: isRemoteEngine(sup.engine.endpoint) });
        return new ChatLoop({
          client,
          rl,
          io,
          write: (t) => process.stdout.write(t),
          tty,
          style: colourFor(process.stdout, io.env),
          options: o,
          reparse: (extra) => parseRunOptions([...args, ...extra], io.cwd, USAGE, io.env),
          columns: () => process.stdout.columns || 80,
        }).run();
      });
    } finally {
      rl.close();
    }
  },
};
