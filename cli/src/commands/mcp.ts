// `airlock mcp serve`: Airlock's tools as an MCP server (stdio) for another agent (Claude Code, Codex, Copilot, ...).
import { parseArgs } from 'node:util';
import { AirlockError } from '../../../protocol/src/errors';
import type { Command } from '../command';
import { runServe, SERVE_OPTIONS, SERVE_USAGE } from '../mcp/serve-command';
import { MANAGE_USAGE, manageMcp } from '../mcp/manage';
import { prepareTaskTools } from '../mcp/prepare';
import { osKeychain } from '../auth/keychain';
import { isRemoteEngine } from '../../../core/src/remote/mode';

const USAGE = `${SERVE_USAGE}
${MANAGE_USAGE}`;

export const mcp: Command = {
  name: 'mcp',
  summary: "MCP both ways: your MCP servers in sandboxes (list, add, remove) and Airlock's tools served to another agent (serve)",
  usage: USAGE,
  async run(args, io) {
    if (args[0] && args[0] !== 'serve' && !args[0].startsWith('-')) return manageMcp(args[0], args.slice(1), io);
    const { positionals } = parseArgs({ args, allowPositionals: true, options: SERVE_OPTIONS });
    if (positionals[0] !== 'serve' || positionals.length > 1) {
      throw new AirlockError('CLI_USAGE', `unknown mcp command ${JSON.stringify(positionals.join(' '))}`, USAGE);
    }
    // The person's MCP servers and plugins reach the kernel first, as before a task: the session offers their tools.
    return runServe(args, io, (client, workspace, sup) =>
      prepareTaskTools(client, workspace, io, { keychain: osKeychain, remote: isRemoteEngine(sup.engine.endpoint) }),
    );
  },
};
