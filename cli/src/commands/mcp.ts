// `airlock mcp serve`: Airlock's tools as an MCP server (stdio) for another agent (Claude Code, Codex, Copilot, ...).
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AgentMode } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import type { Command } from '../command';
import { withKernel } from '../kernel';
import { serveMcp } from '../mcp/serve';
import { MANAGE_USAGE, manageMcp } from '../mcp/manage';

const USAGE = `airlock mcp serve [--workspace DIR] [--mode strict|explore|debug] [--approvals ask|refuse]
  An MCP server on stdin/stdout: read, list, grep, glob, exec in a sandbox, and write/edit into a patch set that
  \`airlock review\` (or VS Code's Patches view) shows once the client closes the session. Progress goes to stderr.
  --mode       the workflow mode the session runs in (default: the kernel's)
  --approvals  ask: a call the policy marks "ask" is put to the person through the client (MCP elicitation), when the
               client supports it; refuse: such calls are refused with the reason (default: ask)
${MANAGE_USAGE}`;

export const mcp: Command = {
  name: 'mcp',
  summary: 'MCP both ways: your MCP servers in sandboxes (list, add, remove) and Airlock\'s tools served to another agent (serve)',
  usage: USAGE,
  async run(args, io) {
    if (args[0] && args[0] !== 'serve' && !args[0].startsWith('-')) return manageMcp(args[0], args.slice(1), io);
    const { positionals, values } = parseArgs({ args, allowPositionals: true, options: {
      workspace: { type: 'string' }, mode: { type: 'string' }, approvals: { type: 'string' } } });
    if (positionals[0] !== 'serve' || positionals.length > 1) {
      throw new AirlockError('CLI_USAGE', `unknown mcp command ${JSON.stringify(positionals.join(' '))}`, USAGE);
    }
    const mode = values.mode === undefined ? undefined : AgentMode.safeParse(values.mode);
    if (mode && !mode.success) {
      throw new AirlockError('CLI_USAGE', `unknown mode ${JSON.stringify(values.mode)}`, `one of ${AgentMode.options.join(', ')}`);
    }
    const approvals = values.approvals ?? 'ask';
    if (approvals !== 'ask' && approvals !== 'refuse') {
      throw new AirlockError('CLI_USAGE', `--approvals must be ask or refuse, got ${JSON.stringify(approvals)}`, USAGE);
    }
    const workspace = path.resolve(io.cwd, values.workspace ?? '.');
    // stdout is the MCP channel: everything for the person (progress, the patch set) goes to stderr.
    return withKernel(io, workspace, async (sup) => {
      const client = await sup.ready();
      const { version } = await client.request('kernel/info', {});
      const r = await serveMcp({ client, mode: mode?.data, approvals, version, stdin: process.stdin, stdout: process.stdout, log: io.err });
      if (r.setId) io.err(`airlock: review it with \`airlock review show ${r.setId}\``);
      return 0;
    });
  },
};
