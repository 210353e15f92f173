// Pure view logic of the Plugins view (no vscode): each plugin's line, icon, actions, and its details (capabilities,
// content hash, tools, sandbox, why it waits or failed), from plugins/list's answer.
import type { PluginCapabilities } from '../../../protocol/src/plugin-manifest';
import type { PluginState } from '../../../protocol/src/methods/plugins';

export type PluginNode =
  | { kind: 'plugin'; plugin: PluginState }
  | { kind: 'detail'; id: string; label: string; description?: string; tooltip?: string; icon: string };

export function pluginNodes(plugins: readonly PluginState[]): PluginNode[] {
  return [...plugins].sort((a, b) => a.name.localeCompare(b.name)).map((plugin) => ({ kind: 'plugin', plugin }));
}

/** Codicon per lifecycle state: only a ready plugin is green; one waiting for the person is a warning. */
export function pluginIcon(p: Pick<PluginState, 'state'>): { id: string; color?: string } {
  switch (p.state) {
    case 'discovered':
      return { id: 'circle-outline' };
    case 'verified':
      return { id: 'shield', color: 'list.warningForeground' };
    case 'approved':
      return { id: 'pass' };
    case 'starting':
      return { id: 'sync~spin' };
    case 'ready':
      return { id: 'plug', color: 'testing.iconPassed' };
    case 'failed':
      return { id: 'error', color: 'list.errorForeground' };
    case 'stopped':
      return { id: 'debug-stop' };
    default: {
      const never: never = p.state;
      return never;
    }
  }
}

export function describePlugin(p: PluginState): string {
  const state = p.state === 'verified' && !p.approved ? 'waiting for approval' : p.state;
  return [p.version, p.source === 'builtin' ? 'built-in' : p.source, state].filter(Boolean).join(' · ');
}

/** Approve only what is verified; revoke what the person approved (a built-in is pre-approved by its shipped hash). */
export function pluginContext(p: PluginState): string {
  const approvable = p.state === 'verified';
  const revocable = !!p.approved && p.source !== 'builtin';
  return `airlock.plugin${approvable ? '.approvable' : ''}${revocable ? '.revocable' : ''}`;
}

export function capabilityLines(c: PluginCapabilities | undefined): string[] {
  if (!c) return ['capabilities unknown (its manifest was refused)'];
  const lines = [
    c.reads.length ? `reads ${c.reads.join(' ')}` : '',
    c.writes ? 'writes, as patches for review' : '',
    c.exec.length ? `runs ${c.exec.join(', ')}` : '',
    c.network.length ? `network ${c.network.join(' ')}` : '',
  ].filter(Boolean);
  return lines.length ? lines : ['no capabilities'];
}

export function pluginDetails(p: PluginState): PluginNode[] {
  const at = (key: string) => `${p.name}/${key}`;
  const out: PluginNode[] = [];
  if (p.reason) {
    out.push({ kind: 'detail', id: at('reason'), label: p.reason, icon: p.state === 'failed' ? 'warning' : 'info', tooltip: p.reason });
  }
  capabilityLines(p.capabilities).forEach((l, i) => out.push({ kind: 'detail', id: at(`cap${i}`), label: l, icon: 'key' }));
  const pinned = p.approved && p.approved !== p.sha256 ? ` (approved ${p.approved.slice(0, 12)}…)` : p.approved ? ' (approved)' : '';
  out.push({ kind: 'detail', id: at('sha'), label: `sha256 ${p.sha256.slice(0, 12)}…${pinned}`, icon: 'lock', tooltip: p.sha256 });
  for (const t of p.tools) out.push({ kind: 'detail', id: at(`tool:${t}`), label: t, icon: 'tools' });
  if (p.sandbox) out.push({ kind: 'detail', id: at('sandbox'), label: `sandbox ${p.sandbox}`, icon: 'vm' });
  return out;
}
