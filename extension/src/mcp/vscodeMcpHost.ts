// The McpHost of offerToAgents.ts from the real VS Code API. The MCP API (lm.registerMcpServerDefinitionProvider,
// McpStdioServerDefinition) arrived in VS Code 1.101, after the @types/vscode this builds against, and code-server may
// lack it: both are read as optional members and used only when present (feature detection, not a version check).
import * as vscode from 'vscode';
import type { McpHost, StdioDefinitionCtor, McpDefinitionProvider } from './offerToAgents';

type Lm = { selectChatModels: unknown; registerMcpServerDefinitionProvider?: (id: string, p: McpDefinitionProvider) => vscode.Disposable };
type Api = { version: string; McpStdioServerDefinition?: StdioDefinitionCtor };

export function vscodeMcpHost(context: vscode.ExtensionContext): McpHost {
  const lm: Lm | undefined = vscode.lm;
  const api: Api = vscode;
  const register = lm?.registerMcpServerDefinitionProvider;
  const config = () => vscode.workspace.getConfiguration('airlock');
  return {
    register: register && ((id, provider) => register.call(lm, id, provider)),
    StdioDefinition: api.McpStdioServerDefinition,
    isTrusted: () => vscode.workspace.isTrusted,
    enabled: () => config().get<boolean>('mcp.offerToVsCodeAgents', true),
    runtime: () => config().get<string>('containerRuntime', 'auto'),
    mode: () => {
      const v = config().inspect<string>('defaultMode');
      return v?.workspaceFolderValue ?? v?.workspaceValue ?? v?.globalValue;
    },
    onDidChangeSettings: (listener) =>
      vscode.workspace.onDidChangeConfiguration((e) => {
        const keys = ['airlock.mcp.offerToVsCodeAgents', 'airlock.containerRuntime', 'airlock.defaultMode'];
        if (keys.some((k) => e.affectsConfiguration(k))) listener();
      }),
    execPath: process.execPath,
    extensionPath: context.extensionUri.fsPath,
    version: String((context.extension.packageJSON as { version?: unknown }).version ?? '0.0.0'),
  };
}
