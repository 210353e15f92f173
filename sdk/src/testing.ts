// Testing a plugin without Airlock: the same server, an in-memory MCP client, the same checks of input and capabilities.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { PLUGIN_WRITES_META } from '../../protocol/src/plugin-manifest';
import type { ToolPlugin } from './plugin';
import { pluginServer } from './serve';

export interface TestCall {
  text: string;
  isError: boolean;
  writes: Array<{ path: string; content: string }>;
}
export interface PluginUnderTest {
  tools(): Promise<Array<{ name: string; description?: string; inputSchema: unknown }>>;
  call(tool: string, args?: Record<string, unknown>): Promise<TestCall>;
  /** Log lines the plugin wrote. */
  readonly logs: string[];
  close(): Promise<void>;
}

/** Connects a client to the plugin in this process. `workspace`: the folder its workspace view reads. */
export async function testPlugin(plugin: ToolPlugin, o: { workspace?: string } = {}): Promise<PluginUnderTest> {
  const logs: string[] = [];
  const server = pluginServer(plugin, { workspace: o.workspace, logLine: (l) => logs.push(l.trimEnd()) });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'plugin-test', version: '0.0.0' });
  await Promise.all([server.connect(a), client.connect(b)]);
  return {
    logs,
    async tools() {
      return (await client.listTools()).tools;
    },
    async call(tool, args = {}) {
      const r = (await client.callTool({ name: tool, arguments: args })) as CallToolResult;
      const text = r.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
      const writes = ((r._meta as Record<string, unknown> | undefined)?.[PLUGIN_WRITES_META] ?? []) as TestCall['writes'];
      return { text, isError: r.isError === true, writes };
    },
    async close() {
      await client.close();
      await server.close();
    },
  };
}
