// What the status bar says for a kernel state and its sandbox checks (pure, so it is unit-tested without VS Code).
import type { KernelState } from '../../../bootstrap';
import type { SandboxCheck } from '../../../protocol/src/sandbox-health';

export type StatusState = KernelState | { type: 'idle' } | { type: 'untrusted' };

/** [icon, text, tooltip]. A ready kernel whose sandboxes cannot run (no image, pool failed) is not called "ready". */
export function statusText(s: StatusState, sandbox: readonly SandboxCheck[] = []): [string, string, string] {
  switch (s.type) {
    case 'idle': return ['$(shield)', 'Airlock', 'Airlock kernel not started'];
    case 'untrusted': return ['$(workspace-untrusted)', 'Airlock: off', 'Airlock stays disabled in untrusted workspaces'];
    case 'starting': return ['$(loading~spin)', 'Airlock: starting', s.detail];
    case 'ready': {
      const bad = sandbox.filter((c) => !c.ok);
      if (!bad.length) return ['$(shield)', 'Airlock: ready', 'Airlock kernel is running'];
      const tip = bad.map((c) => `${c.detail}${c.hint ? `\n${c.hint}` : ''}`).join('\n\n');
      return ['$(warning)', `Airlock: ${bad.map((c) => c.status ?? c.name).join(', ')}`, `The kernel runs, but tasks cannot:\n${tip}`];
    }
    case 'restarting': return ['$(sync~spin)', 'Airlock: restarting', `restart attempt ${s.attempt}: ${s.reason}`];
    case 'failed': return ['$(error)', 'Airlock: failed', `${s.error.message}${s.error.hint ? `\n${s.error.hint}` : ''}`];
    case 'stopped': return ['$(circle-slash)', 'Airlock: stopped', 'Airlock kernel is stopped'];
    default: { const never: never = s; return never; }
  }
}
