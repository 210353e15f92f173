// Sends the person's MCP servers to the kernel (`mcp/configure`): the configurations (secrets looked up now, in memory)
// come from core/src/mcp/server-configs.ts, shared with VS Code; a server whose install folder changed since it was
// pinned is sent as it was pinned, so the kernel's check in the sandbox refuses it with the reason.
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import type { McpServerConfig, McpServerState } from '../../../protocol/src/methods/mcp';

export { secretAccount, serverConfigs } from '../../../core/src/mcp/server-configs';

/** Starting servers takes a sandbox each and their initialisation: minutes at worst, never the default 30 s. */
export const CONFIGURE_TIMEOUT_MS = 5 * 60_000;

export async function pushServers(client: IKernelClient, configs: McpServerConfig[]): Promise<McpServerState[]> {
  return (await client.request('mcp/configure', { servers: configs }, { timeoutMs: CONFIGURE_TIMEOUT_MS })).servers;
}
