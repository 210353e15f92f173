// mcp/configure and mcp/list: the kernel's MCP servers, each in its own sandbox (kernel/src/mcp/servers.ts).
import type { Handler } from '../../../../protocol/src/rpc-server';
import type { KernelServices } from '../../services';

export const mcpHandlers = (
  s: Pick<KernelServices, 'mcp'>,
): { 'mcp/configure': Handler<'mcp/configure'>; 'mcp/list': Handler<'mcp/list'> } => ({
  'mcp/configure': async (p) => ({ servers: await s.mcp.configure(p.servers) }),
  'mcp/list': async () => ({ servers: s.mcp.list() }),
});
