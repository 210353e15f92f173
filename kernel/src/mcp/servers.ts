// The kernel's MCP servers (`mcp/configure`, `mcp/list`): each configured server in its own sandbox, its tools offered to
// every task started while it is ready. Managed settings' `mcp.servers` allow-list is enforced here, whoever asks.
import type { IDisposable } from '../../../protocol/src/lifecycle';
import { AirlockError } from '../../../protocol/src/errors';
import type { McpServerConfig, McpServerState } from '../../../protocol/src/methods/mcp';
import type { AuditInput } from '../../../protocol/src/audit';
import { type Managed, managedRefusal } from '../../../core/src/config/managed';
import type { ToolSpec } from '../agent/tools/types';
import { CONFIG_MANAGED_REFUSED } from '../managed';
import { McpServerRun, MCP_TEMPLATE, type McpSandboxes } from './server';
import { mcpToolSpec } from './tools';

export interface McpServersDeps {
  /** The sandbox manager; null without a container engine (then every server is refused with the reason). */
  sandboxes: McpSandboxes | null;
  audit: () => { append(input: AuditInput, opts: { sync: true }): Promise<unknown> };
  managed: Managed;
  version: string;
  /** Values a server is given (keys, tokens) are redacted from everything tasks see and record. */
  addSecret: (value: string) => void;
}

export class McpServers implements IDisposable {
  private readonly runs = new Map<string, McpServerRun>();

  constructor(private readonly d: McpServersDeps) {}

  /** Replaces the set of servers; answers once each has started or failed. A changed server is restarted. */
  async configure(servers: McpServerConfig[]): Promise<McpServerState[]> {
    const names = servers.map((s) => s.name);
    if (new Set(names).size !== names.length) throw new AirlockError('MCP_DUPLICATE_SERVER', 'two MCP servers have the same name');
    const why = managedRefusal(this.d.managed, 'mcp.servers', names);
    if (why) {
      throw new AirlockError(
        CONFIG_MANAGED_REFUSED,
        `MCP servers ${JSON.stringify(names)}: ${why}`,
        'your administrator manages mcp.servers; `airlock config explain mcp.servers` shows what is allowed',
      );
    }
    const sandboxes = this.d.sandboxes;
    if (servers.length && !sandboxes) {
      throw new AirlockError(
        'SANDBOX_NO_RUNTIME',
        'this kernel has no container engine, so MCP servers cannot run',
        'MCP servers only run in sandboxes',
      );
    }
    if (servers.length && !sandboxes!.templates.has(MCP_TEMPLATE)) {
      throw new AirlockError(
        'SANDBOX_UNKNOWN_TEMPLATE',
        `no sandbox template ${MCP_TEMPLATE}`,
        'templates/sandbox/mcp-server.yaml ships with Airlock',
      );
    }
    // A secret put in a URL is sent URL-encoded: that form is scrubbed from what is recorded too.
    for (const s of servers)
      for (const v of Object.values(s.env)) for (const form of new Set([v, encodeURIComponent(v)])) this.d.addSecret(form);
    const wanted = new Map(servers.map((s) => [s.name, s]));
    for (const [name, run] of this.runs) {
      const next = wanted.get(name);
      if (next && same(run.config, next) && run.state !== 'failed' && run.state !== 'stopped') continue;
      this.runs.delete(name);
      await run.stop(next ? 'reconfigured' : 'removed from the configuration');
    }
    for (const s of servers) {
      if (this.runs.has(s.name)) continue;
      this.runs.set(s.name, new McpServerRun(s, sandboxes!, (a, n, p) => this.record(a, n, p), this.d.version));
    }
    await Promise.all([...this.runs.values()].map((r) => r.started));
    return this.list();
  }

  list(): McpServerState[] {
    return [...this.runs.values()].map((r) => r.info()).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The tools of every ready server, for a task's router (a server that fails later refuses its calls with the reason). */
  tools(): ToolSpec[] {
    return [...this.runs.values()].flatMap((r) => r.tools.map((t) => mcpToolSpec(r, t)));
  }

  private async record(action: string, server: string, payload: Record<string, unknown>): Promise<void> {
    await this.d.audit().append({ subject: `plugin:mcp:${server}`, action, resource: `mcp:${server}`, payload }, { sync: true });
  }

  dispose(): void {
    for (const r of this.runs.values()) void r.stop('kernel shutting down');
    this.runs.clear();
  }
}

function same(a: McpServerConfig, b: McpServerConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
