// The plugin process: an MCP stdio server (the official SDK's Server) whose tools are the plugin's, with its manifest
// as the server's metadata. Airlock runs it in the plugin's own sandbox; `runPlugin` is the program's main.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { PLUGIN_ENV, PLUGIN_WRITES_META, type PluginCapabilities } from '../../protocol/src/plugin-manifest';
import { CapabilityError, outputFolder, stderrLogger, workspaceView, type ToolContext } from './context';
import { checkInput, inputSchemaOf, manifestOf, type ToolPlugin } from './plugin';

export interface PluginServerOptions {
  /** The workspace root this process may read (default: what Airlock gives, `$AIRLOCK_PLUGIN_WORKSPACE`; none without reads). */
  workspace?: string;
  /** Where log lines go (default stderr). */
  logLine?: (line: string) => void;
}

/** The plugin as an MCP server (not yet connected). Tools that the manifest does not allow are refused at call time. */
export function pluginServer(plugin: ToolPlugin, o: PluginServerOptions = {}): Server {
  const manifest = manifestOf(plugin);
  const caps: PluginCapabilities = manifest.capabilities;
  const root = caps.reads.length ? (o.workspace ?? process.env[PLUGIN_ENV.workspace] ?? '') || undefined : undefined;
  const server = new Server(
    { name: manifest.name, version: manifest.version },
    {
      capabilities: { tools: {}, experimental: { airlock: { manifestVersion: 1, engines: manifest.engines, capabilities: caps } } },
      instructions: manifest.description || undefined,
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: plugin.tools.map((t) => ({ name: t.name, description: t.description, inputSchema: inputSchemaOf(t) as never })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    const tool = plugin.tools.find((t) => t.name === req.params.name);
    if (!tool) return failed(`no tool ${req.params.name} in plugin ${manifest.name}`);
    const input = checkInput(tool, req.params.arguments);
    if (!input.ok) return failed(`invalid input for ${tool.name}: ${input.error}`);
    const token = req.params._meta?.progressToken;
    const log = stderrLogger(tool.name, o.logLine);
    const output = outputFolder(caps.writes);
    const ctx: ToolContext = {
      signal: extra.signal,
      log,
      workspace: workspaceView(root),
      output,
      plugin: { name: manifest.name, version: manifest.version, capabilities: caps },
      async progress(done, total, message) {
        log.debug(`progress ${done}${total === undefined ? '' : `/${total}`}${message ? ` ${message}` : ''}`);
        if (token === undefined) return;
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress: done, total, message },
        });
      },
    };
    try {
      const r = await tool.run(input.value, ctx);
      const text = typeof r === 'string' ? r : r.data === undefined ? r.text : `${r.text}\n${JSON.stringify(r.data)}`;
      return { content: [{ type: 'text', text }], ...(output.files.length ? { _meta: { [PLUGIN_WRITES_META]: output.files } } : {}) };
    } catch (e) {
      log.error(`${tool.name} failed: ${(e as Error).message}`);
      return failed(e instanceof CapabilityError ? `refused: ${e.message}` : ((e as Error).message ?? String(e)));
    }
  });
  return server;
}

const failed = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

/**
 * The plugin program's main: `node dist/index.js` serves it on stdin/stdout; `node dist/index.js --manifest` prints the
 * manifest (`airlock-plugin.json`) it implies and exits.
 */
export async function runPlugin(plugin: ToolPlugin, argv = process.argv.slice(2)): Promise<void> {
  if (argv.includes('--manifest')) {
    process.stdout.write(JSON.stringify(manifestOf(plugin), null, 2) + '\n');
    return;
  }
  const server = pluginServer(plugin);
  await server.connect(new StdioServerTransport());
}
