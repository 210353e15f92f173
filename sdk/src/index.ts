// @airlock/plugin-sdk: write an Airlock tool plugin (docs/plugin-sdk.md). A plugin is an MCP stdio server with a manifest.
export { definePlugin, defineTool, manifestOf, type JsonObjectSchema, type PluginTool, type ToolPlugin, type ToolReturn } from './plugin';
export { CapabilityError, type Logger, type LogLevel, type OutputFolder, type ToolContext, type WorkspaceView } from './context';
export { pluginServer, runPlugin, type PluginServerOptions } from './serve';
export { testPlugin, type PluginUnderTest, type TestCall } from './testing';
export {
  PLUGIN_MANIFEST_FILE,
  PLUGIN_PROTOCOL_VERSION,
  PLUGIN_SDK_VERSION,
  PluginCapabilities,
  PluginManifest,
  pluginResource,
  pluginToolName,
} from '../../protocol/src/plugin-manifest';
/** The tool definition the agent's router uses (name, description, JSON schema input, capabilities). */
export { ToolDefinition } from '../../protocol/src/agent';
