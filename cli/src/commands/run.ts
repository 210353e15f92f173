// `airlock run "<task>"`: runs one agent task in the workspace's kernel and streams it; ends with the patch set summary.
import * as readline from 'node:readline';
import { AirlockError } from '../../../protocol/src/errors';
import type { Command } from '../command';
import { withKernel } from '../kernel';
import { parseRunOptions } from '../run/options';
import { askOn, exitCodeOf, runTaskInTerminal } from '../run/session';

const USAGE = `airlock run "<task>" [--workspace DIR] [--provider NAME] [--model NAME] [--base-url URL]
                  [--mode strict|explore|debug] [--replay FILE] [--record FILE] [--yes]
                  [--auto-merge [--auto-merge-paths GLOB ...] [--auto-merge-max-lines N]]
  providers: openai, openai-responses, anthropic, google, openai-compatible (--base-url), replay (--replay FILE)
  keys come from OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY / GOOGLE_API_KEY, else from the OS keychain
  (airlock auth set PROVIDER); never from settings files
  approvals are asked on the terminal; --yes allows them; without a terminal they are denied
  --auto-merge: a patch set meeting every criterion (paths, default test/**; changed lines, default 20; tests passed;
  no deletes or binaries; never in strict mode; the policy's patch.apply rules) is merged into the workspace here`;

export const run: Command = {
  name: 'run',
  summary: 'run an agent task in a sandbox; its edits come back as a patch set to review',
  usage: USAGE,
  async run(args, io) {
    const o = parseRunOptions(args, io.cwd, USAGE, io.env);
    for (const w of o.warnings) io.err(`warning: ${w}`);
    const prompt = o.positionals.join(' ').trim();
    if (!prompt) throw new AirlockError('CLI_USAGE', 'airlock run needs a task', USAGE);
    const tty = !!process.stdin.isTTY && !o.yes;
    const rl = tty ? readline.createInterface({ input: process.stdin, output: process.stderr }) : undefined;
    // readline takes over Ctrl-C on a TTY: hand it back to the session's cancel handler.
    rl?.on('SIGINT', () => process.emit('SIGINT'));
    try {
      return await withKernel(io, o.workspace, async (sup) => {
        const client = await sup.ready();
        const r = await runTaskInTerminal(client, o, prompt, { ...io, write: (t) => process.stdout.write(t), ask: rl ? askOn(rl) : undefined });
        return Math.max(exitCodeOf(r.status), r.merged ?? 0);
      });
    } finally {
      rl?.close();
    }
  },
};
