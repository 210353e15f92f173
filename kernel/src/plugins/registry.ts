// The kernel's tool plugins (`plugins/configure|list|approve|remove|logs`): the candidates the host found, each with
// its audited lifecycle, each approved one in its own sandbox, their tools offered to every task started while ready.
import type { IDisposable } from '../../../protocol/src/lifecycle';
import { AirlockError } from '../../../protocol/src/errors';
import type { AuditInput } from '../../../protocol/src/audit';
import type { PluginCandidate, PluginState } from '../../../protocol/src/methods/plugins';
import type { IPolicyEngine } from '../../../core/src/policy/engine';
import type { IPolicy } from '../agent/interfaces';
import type { ToolSpec } from '../agent/tools/types';
import type { McpSandboxes } from '../mcp/server';
import type { PluginTransition } from './lifecycle';
import { candidateName, Plugin } from './plugin';
import type { WriteJudge } from './tools';

export interface PluginsDeps {
  /** The sandbox manager; null without a container engine (then every approved plugin fails with the reason). */
  sandboxes: McpSandboxes | null;
  audit: () => { append(input: AuditInput, opts: { sync: true }): Promise<unknown> };
  policy: Pick<IPolicyEngine, 'evaluate'>;
  /** The policy of a running task (its mode's), which judges the files a plugin proposes during that task's call. */
  taskPolicy: (taskId: string) => IPolicy | undefined;
  version: string;
  /** The content hash of each built-in as this Airlock shipped it (kernel/src/plugins/builtins.ts); none: no pre-approval. */
  shipped?: (name: string) => string | undefined;
}

export class Plugins implements IDisposable {
  private readonly plugins = new Map<string, Plugin>();

  constructor(private readonly d: PluginsDeps) {}

  /** Replaces the set of plugins; answers once each is verified, started or failed. A changed candidate is restarted. */
  async configure(candidates: PluginCandidate[]): Promise<PluginState[]> {
    const named = candidates.map((c) => [candidateName(c), c] as const);
    const names = named.map(([n]) => n);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup)
      throw new AirlockError(
        'PLUGIN_DUPLICATE',
        `two plugins are named ${dup}`,
        'rename one, or remove it from the workspace or your plugins folder',
      );
    const wanted = new Map(named);
    for (const [name, p] of this.plugins) {
      const next = wanted.get(name);
      if (next && JSON.stringify(next) === JSON.stringify(p.candidate) && p.state !== 'failed' && p.state !== 'stopped') continue;
      this.plugins.delete(name);
      await p.stop(next ? 'reconfigured' : 'no longer found');
    }
    const fresh: Plugin[] = [];
    for (const [name, c] of named) {
      if (this.plugins.has(name)) continue;
      const p = new Plugin(name, c, this.deps());
      this.plugins.set(name, p);
      fresh.push(p);
    }
    await Promise.all(fresh.map((p) => p.init().catch(() => undefined))); // a plugin's refusal is its state, not this call's
    return this.list();
  }

  list(): PluginState[] {
    return [...this.plugins.values()].map((p) => p.info()).sort((a, b) => a.name.localeCompare(b.name));
  }

  async approve(name: string, sha256: string): Promise<PluginState> {
    const p = this.get(name);
    await p.approve(sha256);
    return p.info();
  }

  async remove(name: string): Promise<boolean> {
    const p = this.plugins.get(name);
    if (!p) return false;
    this.plugins.delete(name);
    await p.stop('removed');
    return true;
  }

  logs(name: string): string[] {
    return this.get(name).logs();
  }

  /** The tools of every ready plugin, for a task's router. */
  tools(): ToolSpec[] {
    return [...this.plugins.values()].flatMap((p) => p.tools());
  }

  private get(name: string): Plugin {
    const p = this.plugins.get(name);
    if (!p)
      throw new AirlockError('PLUGIN_UNKNOWN', `no plugin named ${name}`, '`airlock plugins list` shows the plugins this kernel knows');
    return p;
  }

  private deps() {
    const append = (input: AuditInput) =>
      this.d
        .audit()
        .append(input, { sync: true })
        .then(() => undefined);
    const record = (t: PluginTransition) =>
      append({
        subject: `plugin:${t.plugin}`,
        action: `plugin.${t.to}`,
        resource: `plugin:${t.plugin}`,
        payload: { from: t.from, reason: t.reason, ...t.payload },
      });
    const note = (plugin: string, action: string, payload: Record<string, unknown>) =>
      append({ subject: `plugin:${plugin}`, action, resource: `plugin:${plugin}`, payload });
    const writes: WriteJudge = async (plugin, task, path, bytes) => {
      // Judged as the task's own fs.write (its mode, its session grants); no running task, no write.
      const policy = this.d.taskPolicy(task);
      const d = policy
        ? await policy.evaluate({
            kind: 'tool',
            taskId: task,
            tool: 'fs.write',
            capabilities: ['fs.write'],
            input: { path },
            paths: [path],
          })
        : { decision: 'deny' as const, reason: `no running task ${task}` };
      // Recorded before the file lands; a write that cannot be recorded is not made.
      await append({
        session: task,
        subject: `plugin:${plugin}`,
        action: 'plugin.write',
        resource: path,
        decision: d.decision,
        ruleIds: d.matched ? [d.matched] : [],
        payload: { bytes, reason: d.reason },
      });
      if (d.decision === 'allow') return { ok: true };
      return {
        ok: false,
        reason: d.decision === 'ask' ? `the policy asks about it (${d.reason}); a plugin's writes cannot be asked about` : d.reason,
      };
    };
    return {
      sandboxes: this.d.sandboxes,
      record,
      note,
      judge: (r: Parameters<IPolicyEngine['evaluate']>[0]) => this.d.policy.evaluate(r),
      writes,
      version: this.d.version,
      shipped: this.d.shipped ?? (() => undefined),
    };
  }

  dispose(): void {
    for (const p of this.plugins.values()) void p.stop('kernel shutting down');
    this.plugins.clear();
  }
}
