// Before a task (`airlock run`, `airlock chat`): the person's MCP servers and the plugins found (theirs, the built-ins,
// the workspace's) are handed to the workspace's kernel, so the task is offered their tools. Both requests replace the
// kernel's set and leave unchanged servers and plugins running, so a second task starts nothing new.
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import { loadManaged, type Managed } from '../../../core/src/config/managed';
import type { KeyLookup } from '../auth/keys';
import type { CliIO } from '../command';
import { pushPlugins } from '../plugins/manage';
import { pushServers, serverConfigs } from './push';
import { readServers } from '../../../core/src/mcp/servers-file';

export interface PrepareDeps {
  keychain: () => KeyLookup | undefined;
  managed?: () => Managed;
  /** The kernel runs on a remote engine: plugin and server files on this machine cannot be mounted into its sandboxes. */
  remote?: boolean;
}

/**
 * Sends both sets; what cannot start is said on stderr and the task goes on without those tools (nothing is granted by
 * a server or plugin that is missing). Returns the agent-facing tool names offered.
 */
export async function prepareTaskTools(
  client: IKernelClient,
  workspace: string,
  io: Pick<CliIO, 'env' | 'err'>,
  d: PrepareDeps,
): Promise<string[]> {
  const tools: string[] = [];
  if (d.remote) {
    io.err('airlock: MCP servers and plugins are not started on a remote engine (their files are on this machine; docs/install.md)');
    return tools;
  }
  try {
    const stored = readServers(io.env);
    const configs = Object.keys(stored).length
      ? await serverConfigs(stored, io.env, d.keychain(), (d.managed ?? loadManaged)(), io.err)
      : [];
    for (const s of await pushServers(client, configs)) {
      if (s.state === 'failed') io.err(`airlock: MCP server ${s.name} failed: ${s.reason ?? 'no reason given'} (\`airlock mcp list\`)`);
      tools.push(...s.tools);
    }
  } catch (e) {
    io.err(`airlock: MCP servers not started: ${(e as Error).message}`);
  }
  try {
    for (const p of await pushPlugins(client, workspace, io)) tools.push(...p.tools);
  } catch (e) {
    io.err(`airlock: plugins not started: ${(e as Error).message}`);
  }
  return tools;
}
