// Hands the person's MCP servers (`airlock mcp add`, core/src/mcp/servers-file.ts) to the kernel on every connection,
// as `airlock run` does, so VS Code's tasks get their tools. Secrets come from the environment only here (the OS
// keychain is the CLI's): when a server cannot be resolved, nothing is sent, so servers the CLI started with keychain
// secrets keep running rather than being stopped by an incomplete set.
import type * as vscode from 'vscode';
import { formatError } from '../../../protocol/src/errors';
import type { IDisposable } from '../../../protocol/src/lifecycle';
import type { McpServerConfig } from '../../../protocol/src/methods/mcp';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import { loadManaged, type Managed } from '../../../core/src/config/managed';
import { serverConfigs } from '../../../core/src/mcp/server-configs';
import { readServers, type StoredServer } from '../../../core/src/mcp/servers-file';
import type { KernelService } from '../kernel/kernelService';
import { onKernelClient } from '../kernelEvents';

export type ServersToSend = { send: McpServerConfig[] } | { skip: string };

/** Every configured server resolved (allowed, secrets in the environment), or why nothing is sent. */
export async function serversToSend(
  stored: Record<string, StoredServer>,
  env: NodeJS.ProcessEnv,
  managed: Managed,
): Promise<ServersToSend> {
  const problems: string[] = [];
  const send = await serverConfigs(stored, env, undefined, managed, (l) => problems.push(l.replace(/^airlock: /, '')));
  if (problems.length) {
    return {
      skip:
        `${problems.join('; ')}; VS Code leaves the kernel's MCP servers as they are` +
        " (`airlock mcp list` starts them with your keychain's secrets)",
    };
  }
  return { send };
}

export function forwardMcpServers(kernel: KernelService, log: vscode.LogOutputChannel): IDisposable {
  return onKernelClient(kernel, (client) => {
    if (kernel.remote) {
      log.info('MCP servers are not started on a remote engine (their files are on this machine; docs/install.md)');
      return [];
    }
    void push(client, log).catch((err) => log.warn(`MCP servers: ${formatError(err)}`));
    return [];
  });
}

async function push(client: RpcClient, log: vscode.LogOutputChannel): Promise<void> {
  const stored = readServers(process.env);
  const running = (await client.request('mcp/list', {}, { timeoutMs: 15_000 })).servers;
  if (!Object.keys(stored).length && !running.length) return;
  const r = await serversToSend(stored, process.env, loadManaged());
  if ('skip' in r) {
    log.warn(`MCP servers not sent: ${r.skip}`);
    return;
  }
  const { servers } = await client.request('mcp/configure', { servers: r.send }, { timeoutMs: 5 * 60_000 });
  for (const s of servers) {
    if (s.state === 'failed') log.warn(`MCP server ${s.name} failed: ${s.reason ?? 'no reason given'}`);
    else log.info(`MCP server ${s.name}: ${s.state}${s.tools.length ? ` (${s.tools.length} tools)` : ''}`);
  }
}
