// One tool plugin: verified from its manifest, approved at a content hash, run as an MCP stdio server in its own
// sandbox (the MCP machinery, kernel/src/mcp/server.ts), its tools offered to tasks while it is ready.
import * as path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AirlockError } from '../../../protocol/src/errors';
import type { PluginCandidate, PluginState } from '../../../protocol/src/methods/plugins';
import { PLUGIN_ENV, PluginName, type PluginManifest } from '../../../protocol/src/plugin-manifest';
import type { ToolSpec } from '../agent/tools/types';
import { MCP_PACKAGE_DIR, McpServerRun, type McpSandboxes } from '../mcp/server';
import { PluginLifecycle, type PluginRecorder } from './lifecycle';
import { pluginToolSpec, type WriteJudge } from './tools';
import { precheckCapabilities, verifyManifest, type Judge } from './verify';

export const PLUGIN_TEMPLATE = 'tool-plugin';
/** The template of a plugin that asked for workspace reads: the same, plus the workspace read-only. */
export const PLUGIN_READER_TEMPLATE = 'tool-plugin-reader';
/** The template of a plugin that runs commands (git, test runners): the code-executor image, the workspace read-only. */
export const PLUGIN_EXEC_TEMPLATE = 'tool-plugin-exec';
const STDERR_LINES = 200;

export interface PluginDeps {
  sandboxes: McpSandboxes | null;
  record: PluginRecorder;
  /** Other lifecycle facts (the process started), recorded like transitions. */
  note: (plugin: string, action: string, payload: Record<string, unknown>) => Promise<void>;
  judge: Judge;
  writes: WriteJudge;
  version: string;
  /** The content hash this Airlock shipped a built-in plugin with (its own copy, hashed), or undefined. */
  shipped: (name: string) => string | undefined;
}

/** Which sandbox a plugin runs in: commands need the code-executor image, reads the workspace, else neither. */
export function templateFor(m: PluginManifest): string {
  if (m.capabilities.exec.length) return PLUGIN_EXEC_TEMPLATE;
  return m.capabilities.reads.length ? PLUGIN_READER_TEMPLATE : PLUGIN_TEMPLATE;
}

/** The registry's key before the manifest is known: a valid manifest's name, else the folder's name made safe. */
export function candidateName(c: PluginCandidate): string {
  const n = (c.manifest as { name?: unknown } | null)?.name;
  if (PluginName.safeParse(n).success) return n as string;
  return `invalid-${path
    .basename(c.dir)
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 16)}`;
}

export class Plugin {
  readonly lifecycle: PluginLifecycle;
  private manifest?: PluginManifest;
  private run?: McpServerRun;
  private approvedSha?: string;
  private template?: string;

  constructor(
    readonly name: string,
    readonly candidate: PluginCandidate,
    private readonly d: PluginDeps,
  ) {
    this.lifecycle = new PluginLifecycle(name, d.record);
  }

  get state() {
    return this.lifecycle.state;
  }

  /** discovered → verified (or failed), then approved and started when the host brings an approval of this content. */
  async init(): Promise<void> {
    const c = this.candidate;
    await this.lifecycle.discover({ source: c.source, dir: c.dir, sha256: c.sha256 });
    const v = verifyManifest(c.manifest);
    if (!v.ok) return this.lifecycle.to('failed', v.reason);
    this.manifest = v.manifest;
    const refused = precheckCapabilities(v.manifest, this.d.judge);
    if (refused) return this.lifecycle.to('failed', `refused: ${refused}`, { capabilities: v.manifest.capabilities });
    // A built-in is pre-approved only at the exact content this Airlock shipped (the kernel hashes its own copy).
    const shipped = c.source === 'builtin' ? this.d.shipped(v.manifest.name) : undefined;
    const builtin = shipped !== undefined && shipped === c.sha256;
    const approved = builtin || c.approved === c.sha256;
    const waiting =
      c.source === 'builtin' && !builtin && c.approved !== c.sha256
        ? `a built-in whose content (sha256 ${c.sha256.slice(0, 12)}…) is not what this Airlock shipped (${shipped ? `${shipped.slice(0, 12)}…` : 'none of that name'}): approve it yourself`
        : c.approved && c.approved !== c.sha256
          ? `its content changed since it was approved (sha256 ${c.sha256.slice(0, 12)}…, approved ${c.approved.slice(0, 12)}…): approve it again`
          : 'waiting for approval (`airlock plugins approve`)';
    await this.lifecycle.to('verified', approved ? 'manifest, versions and capabilities accepted' : waiting, {
      version: v.manifest.version,
      engines: v.manifest.engines,
      capabilities: v.manifest.capabilities,
      tools: v.manifest.tools.map((t) => t.name),
    });
    if (builtin) await this.approve(c.sha256, 'a built-in plugin, pre-approved at the content hash this Airlock shipped');
    else if (approved) await this.approve(c.sha256, 'approved earlier by the person (the host keeps the approval)');
  }

  /** verified → approved at this content hash, then started. The hash must be the content the host found. */
  async approve(sha256: string, reason = 'approved by the person'): Promise<void> {
    if (this.state !== 'verified') {
      throw new AirlockError(
        'PLUGIN_NOT_VERIFIED',
        `plugin ${this.name} is ${this.state}${this.lifecycle.reason ? `: ${this.lifecycle.reason}` : ''}`,
        'only a verified plugin can be approved; `airlock plugins list` shows why',
      );
    }
    if (sha256 !== this.candidate.sha256) {
      throw new AirlockError(
        'PLUGIN_HASH_MISMATCH',
        `plugin ${this.name} has content sha256 ${this.candidate.sha256.slice(0, 12)}…, not ${sha256.slice(0, 12)}…`,
        'approve the content `airlock plugins list` shows',
      );
    }
    await this.lifecycle.to('approved', reason, { sha256 });
    this.approvedSha = sha256;
    await this.start();
  }

  /** approved → starting → ready (or failed). The policy is asked again: it may have changed since verification. */
  private async start(): Promise<void> {
    const m = this.manifest!;
    const refused = precheckCapabilities(m, this.d.judge);
    if (refused) return this.lifecycle.to('failed', `refused: ${refused}`, { capabilities: m.capabilities });
    const sandboxes = this.d.sandboxes;
    if (!sandboxes) return this.lifecycle.to('failed', 'this kernel has no container engine; plugins only run in sandboxes');
    this.template = templateFor(m);
    if (!sandboxes.templates.has(this.template)) return this.lifecycle.to('failed', `no sandbox template ${this.template}`);
    await this.lifecycle.to('starting', 'approved; starting its sandbox', { template: this.template, sha256: this.approvedSha });
    const env = {
      [PLUGIN_ENV.name]: m.name,
      [PLUGIN_ENV.capabilities]: JSON.stringify(m.capabilities),
      [PLUGIN_ENV.workspace]: m.capabilities.reads.length ? '/workspace' : '',
    };
    this.run = new McpServerRun(
      {
        name: m.name,
        command: 'node',
        args: [`${MCP_PACKAGE_DIR}/${m.entry}`],
        env,
        package: { hostDir: this.candidate.dir, sha256: this.approvedSha! },
        callTimeoutMs: 60_000,
      },
      sandboxes,
      (action, _server, payload) => this.onRun(action, payload),
      this.d.version,
      { template: this.template, task: `plugin:${m.name}` },
    );
    await this.run.started;
  }

  /** The MCP run's lifecycle records, as this plugin's transitions (each recorded before the run acts on it). */
  private async onRun(action: string, payload: Record<string, unknown>): Promise<void> {
    switch (action) {
      case 'mcp.server.start':
        return this.d.note(this.name, 'plugin.process.start', { command: payload.command, args: payload.args });
      case 'mcp.server.ready': {
        const offered = (payload.tools as string[]) ?? [];
        const declared = new Set(this.manifest!.tools.map((t) => t.name));
        const extra = offered.filter((t) => !declared.has(t));
        if (extra.length || (payload.dropped as number) > 0) {
          throw new AirlockError(
            'PLUGIN_TOOLS_MISMATCH',
            `plugin ${this.name} offers tools its manifest does not name: ${extra.join(', ') || `${String(payload.dropped)} unnamable`}`,
            'its manifest must list every tool it offers; rebuild it',
          );
        }
        return this.lifecycle.to('ready', 'its tools are listed', { sandbox: payload.sandbox, tools: offered });
      }
      case 'mcp.server.failed':
        return this.lifecycle.settle('failed', String(payload.reason));
      case 'mcp.server.stop':
        return this.lifecycle.settle('stopped', String(payload.reason));
      default:
        return this.d.note(this.name, `plugin.${action.replace(/^mcp\.server\./, 'process.')}`, payload);
    }
  }

  call(tool: string, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult> {
    const run = this.run;
    if (this.state !== 'ready' || !run) {
      throw new AirlockError(
        'PLUGIN_NOT_READY',
        `plugin ${this.name} is ${this.state}${this.lifecycle.reason ? `: ${this.lifecycle.reason}` : ''}`,
        'continue without its tools; `airlock plugins logs` shows why',
      );
    }
    return run.call(tool, args, signal);
  }

  tools(): ToolSpec[] {
    if (this.state !== 'ready' || this.run?.state !== 'ready' || !this.manifest) return [];
    const m = this.manifest;
    return this.run.tools.map((t) => pluginToolSpec(this, { manifest: m, sha256: this.approvedSha!, tool: t, writes: this.d.writes }));
  }

  info(): PluginState {
    const m = this.manifest;
    const ready = this.state === 'ready' && this.run?.state === 'ready';
    const reason = this.lifecycle.reason ?? (this.run?.state === 'failed' ? this.run.info().reason : undefined);
    return {
      name: this.name,
      source: this.candidate.source,
      ...(m ? { version: m.version, capabilities: m.capabilities } : {}),
      state: this.state ?? 'discovered',
      ...(reason ? { reason } : {}),
      sha256: this.candidate.sha256,
      ...(this.approvedSha ? { approved: this.approvedSha } : {}),
      tools: ready ? this.tools().map((t) => t.name) : [],
      ...(this.run?.info().sandbox ? { sandbox: this.run.info().sandbox } : {}),
    };
  }

  logs(): string[] {
    const err = (this.run?.stderrTail() ?? '')
      .split('\n')
      .filter(Boolean)
      .slice(-STDERR_LINES)
      .map((l) => `stderr: ${l}`);
    return [...this.lifecycle.history, ...err];
  }

  async stop(reason: string): Promise<void> {
    if (this.run) await this.run.stop(reason); // its stop record moves the lifecycle
    await this.lifecycle.settle('stopped', reason).catch(() => undefined);
  }
}
