// `airlock run "<task>"`: runs one agent task in the workspace's kernel and streams it; ends with the patch set summary.
import * as readline from 'node:readline';
import { AirlockError } from '../../../protocol/src/errors';
import type { Command } from '../command';
import { withKernel } from '../kernel';
import { osKeychain } from '../auth/keychain';
import { prepareTaskTools } from '../mcp/prepare';
import { isRemoteEngine } from '../../../core/src/remote/mode';
import { parseRunOptions } from '../run/options';
import { askOn, exitCodeOf, runTaskInTerminal, type SessionIO } from '../run/session';

const USAGE = `airlock run "<task>" [--workspace DIR] [--provider NAME] [--model NAME] [--base-url URL]
                  [--mode strict|explore|debug] [--replay FILE] [--record FILE] [--yes]
                  [--auto-merge [--auto-merge-paths GLOB ...] [--auto-merge-max-lines N]] [--json]
  providers: openai, openai-responses, anthropic, google, openai-compatible (--base-url), replay (--replay FILE)
  keys come from OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY / GOOGLE_API_KEY, else from the OS keychain
  (airlock auth set PROVIDER); never from settings files
  approvals are asked on the terminal; --yes allows them; without a terminal they are denied
  --auto-merge: a patch set meeting every criterion (paths, default test/**; changed lines, default 20; tests passed;
  no deletes or binaries; never in strict mode; the policy's patch.apply rules) is merged into the workspace here
  --json: stdout is a stream of JSON lines, one per task event ({"taskId", "type", ...}), then one
  {"type":"result", taskId, status, message, setId, merged, totalTokens, costUsd, exitCode}; everything else goes to stderr
  exit codes: 0 completed; 1 failed, stopped by a budget, or an auto-merge left conflicts; 2 usage or error; 130 cancelled`;

export const run: Command = {
  name: 'run',
  summary: 'run an agent task in a sandbox; its edits come back as a patch set to review',
  usage: USAGE,
  async run(args, io) {
    // --json is this command's own flag (chat has no use for it), taken out before the shared options are parsed.
    const json = args.includes('--json');
    const o = parseRunOptions(
      args.filter((a) => a !== '--json'),
      io.cwd,
      USAGE,
      io.env,
    );
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
        // The person's MCP servers and the plugins found, so the task is offered their tools (unchanged ones keep running).
        await prepareTaskTools(client, o.workspace, io, { keychain: osKeychain, remote: isRemoteEngine(sup.engine.endpoint) });
        const jsonLine = (v: object) => process.stdout.write(`${JSON.stringify(v)}\n`);
        // In --json mode stdout carries only JSON lines: the human lines (patch summary, notes) move to stderr.
        const terminal: SessionIO = { ...io, write: (t) => process.stdout.write(t), ask: rl ? askOn(rl) : undefined };
        const scripted: SessionIO = {
          ...terminal,
          out: io.err,
          write: (t) => process.stderr.write(t),
          event: (e, taskId) => jsonLine({ taskId, ...e }),
        };
        const r = await runTaskInTerminal(client, o, prompt, json ? scripted : terminal);
        const code = Math.max(exitCodeOf(r.status), r.merged ?? 0);
        if (json) {
          const { taskId, status, message, setId = null, merged = null } = r;
          jsonLine({ type: 'result', taskId, status, message, setId, merged, ...r.usage, exitCode: code });
        }
        return code;
      });
    } finally {
      rl?.close();
    }
  },
};
