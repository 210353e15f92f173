// Offers Airlock's tools to VS Code's own agents (Copilot agent mode): an MCP server definition provider whose one
// server is dist/mcp-serve.js (`airlock mcp serve`, shipped in the .vsix) run by VS Code's own runtime on this folder.
// The VS Code API it needs (1.101+) is passed in by vscodeMcpHost.ts, absent on older hosts, so this file has no
// runtime dependency on 'vscode' and is unit-tested with a fake host.
import * as path from 'node:path';
import { AgentMode } from '../../../protocol/src/agent';
import { formatError } from '../../../protocol/src/errors';
import { DisposableStore, Emitter, type Event, type IDisposable } from '../../../protocol/src/lifecycle';

/** Declared in package.json `contributes.mcpServerDefinitionProviders`: VS Code refuses an undeclared id. */
export const MCP_PROVIDER_ID = 'airlock.mcpServer';
export const SERVER_LABEL = 'Airlock';

/** vscode.McpStdioServerDefinition's constructor (VS Code 1.101+). */
export type StdioDefinitionCtor<T = unknown> = new (
  label: string,
  command: string,
  args?: string[],
  env?: Record<string, string | number | null>,
  version?: string,
) => T;

/** vscode.McpServerDefinitionProvider, as much of it as Airlock implements. */
export interface McpDefinitionProvider<T = unknown> {
  onDidChangeMcpServerDefinitions: Event<void>;
  provideMcpServerDefinitions(): T[];
}

/** What this needs from VS Code; `register` and `StdioDefinition` are absent where VS Code has no MCP API. */
export interface McpHost<T = unknown> {
  register?: (id: string, provider: McpDefinitionProvider<T>) => IDisposable;
  StdioDefinition?: StdioDefinitionCtor<T>;
  isTrusted(): boolean;
  /** `airlock.mcp.offerToVsCodeAgents` (default true). */
  enabled(): boolean;
  /** `airlock.containerRuntime`: the program must reach the kernel this window starts, on the same engine. */
  runtime(): string;
  /** `airlock.defaultMode` when the person set it (not its default): the mode of the agent's sessions. */
  mode(): string | undefined;
  /** Fires when one of these settings changes. */
  onDidChangeSettings: Event<void>;
  /** The runtime VS Code runs the extension with: Electron in desktop VS Code (Node with ELECTRON_RUN_AS_NODE=1). */
  execPath: string;
  /** The installed extension's folder (context.extensionUri), which holds dist/mcp-serve.js. */
  extensionPath: string;
  /** The extension's version: VS Code re-reads the server's tools when it changes. */
  version: string;
}

type Log = { info(line: string): void; warn(line: string): void };

export interface StdioSpec {
  label: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  version: string;
}

/** The command line VS Code starts for the folder. */
export function serverSpec(host: Pick<McpHost, 'execPath' | 'extensionPath' | 'runtime' | 'mode' | 'version'>, folder: string): StdioSpec {
  const env: Record<string, string> = { ELECTRON_RUN_AS_NODE: '1' }; // Electron runs as Node; plain Node ignores it
  const runtime = host.runtime();
  if (runtime === 'docker' || runtime === 'podman') env.AIRLOCK_RUNTIME = runtime;
  // Unset (or not a mode): explore. VS Code's agents do not follow strict's test-first workflow, and a strict session
  // that cannot reach review (a project without tests) closes without a patch set: their work would be lost.
  const mode = AgentMode.safeParse(host.mode());
  const args = [
    path.join(host.extensionPath, 'dist', 'mcp-serve.js'),
    '--workspace',
    folder,
    '--mode',
    mode.success ? mode.data : 'explore',
  ];
  return { label: SERVER_LABEL, command: host.execPath, args, env, version: host.version };
}

/**
 * Registers the provider when VS Code has the API, for a trusted folder; returns what to dispose. Definitions are
 * computed when VS Code asks, so turning the setting off (or trust going away) removes the server without a reload.
 */
export function offerToVsCodeAgents<T>(host: McpHost<T>, folder: string, log: Log): IDisposable {
  const store = new DisposableStore();
  const { register, StdioDefinition } = host;
  if (!register || !StdioDefinition) {
    log.info("VS Code has no MCP server API here (1.101 or later has it): Airlock's tools are not offered to its agents");
    return store;
  }
  if (!host.isTrusted()) return store;
  const changed = store.add(new Emitter<void>());
  store.add(host.onDidChangeSettings(() => changed.fire()));
  const provider: McpDefinitionProvider<T> = {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: () => {
      if (!host.isTrusted() || !host.enabled()) return [];
      const s = serverSpec(host, folder);
      return [new StdioDefinition(s.label, s.command, s.args, s.env, s.version)];
    },
  };
  try {
    store.add(register(MCP_PROVIDER_ID, provider));
    log.info(`Airlock's tools offered to VS Code's agents as the MCP server "${SERVER_LABEL}" (${folder})`);
  } catch (err) {
    log.warn(`could not offer Airlock's tools to VS Code's agents: ${formatError(err)}`);
  }
  return store;
}
