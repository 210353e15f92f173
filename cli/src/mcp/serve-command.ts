// `airlock mcp serve`'s options and run: shared by the `airlock` binary and dist/mcp-serve.js, the program the VS Code
// extension offers to VS Code's own agents (it ships no CLI, and nothing here may reach the CLI's keychain binding).
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AgentMode } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import type { KernelSupervisor } from '../../../bootstrap';
import type { CliIO } from '../command';
import { withKernel } from '../kernel';
import { serveMcp } from './serve';

export const SERVE_USAGE = `airlock mcp serve [--workspace DIR] [--mode strict|explore|debug] [--approvals ask|refuse]
  An MCP server on stdin/stdout: read, list, grep, glob, exec in a sandbox, and write/edit into a patch set that
  \`airlock review\` (or VS Code's Patches view) shows once the client closes the session. Your MCP servers
  (\`airlock mcp add\`) and plugins are offered too, as mcp_<server>_<tool>, each running in its own sandbox. Progress
  goes to stderr.
  --mode       the workflow mode the session runs in (default: the kernel's)
  --approvals  ask: a call the policy marks "ask" is put to the person through the client (MCP elicitation), when the
               client supports it; refuse: such calls are refused with the reason (default: ask)`;

export const SERVE_OPTIONS = { workspace: { type: 'string' }, mode: { type: 'string' }, approvals: { type: 'string' } } as const;

/**
 * What runs on the kernel before the session opens: the `airlock` binary sends the person's MCP servers and plugins, as
 * before a task (cli/src/mcp/prepare.ts), so the session is offered their tools. dist/mcp-serve.js passes none: VS Code
 * sends them itself (extension/src/mcp/forwardServers.ts), and nothing here may reach the CLI's keychain.
 */
export type ServePrepare = (client: IKernelClient, workspace: string, sup: KernelSupervisor) => Promise<unknown>;

/** Serves until the client closes stdin. `args` are serve's options, with or without the word `serve` (the CLI's). */
export async function runServe(args: string[], io: CliIO, prepare?: ServePrepare): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: SERVE_OPTIONS });
  if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== 'serve')) {
    throw new AirlockError('CLI_USAGE', `unknown mcp serve argument ${JSON.stringify(positionals.join(' '))}`, SERVE_USAGE);
  }
  const mode = values.mode === undefined ? undefined : AgentMode.safeParse(values.mode);
  if (mode && !mode.success) {
    throw new AirlockError('CLI_USAGE', `unknown mode ${JSON.stringify(values.mode)}`, `one of ${AgentMode.options.join(', ')}`);
  }
  const approvals = values.approvals ?? 'ask';
  if (approvals !== 'ask' && approvals !== 'refuse') {
    throw new AirlockError('CLI_USAGE', `--approvals must be ask or refuse, got ${JSON.stringify(approvals)}`, SERVE_USAGE);
  }
  const workspace = path.resolve(io.cwd, values.workspace ?? '.');
  // stdout is the MCP channel: everything for the person (progress, the patch set) goes to stderr.
  return withKernel(io, workspace, async (sup) => {
    const client = await sup.ready();
    await prepare?.(client, workspace, sup);
    const { version } = await client.request('kernel/info', {});
    const r = await serveMcp({ client, mode: mode?.data, approvals, version, stdin: process.stdin, stdout: process.stdout, log: io.err });
    if (r.setId) io.err(`airlock: review it with \`airlock review show ${r.setId}\``);
    return 0;
  });
}
