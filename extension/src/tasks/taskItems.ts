// Pure view logic of the Tasks view (no vscode): a task's words, its outcome icon and resource use.
import { ResourceName, type Resources, type TaskInfo } from '../../../protocol/src/methods/tasks';

/** The state as a person reads it: a budget stop and a person's stop are named, not lumped into failed/cancelled. */
export function stateWords(t: Pick<TaskInfo, 'state' | 'outcome'>): string {
  if (t.outcome === 'budget-exceeded') return 'budget exceeded';
  if (t.state === 'cancelled') return 'stopped';
  return t.state;
}

/** Codicon per outcome: only work that completed is a green check. */
export function taskIcon(t: Pick<TaskInfo, 'state' | 'outcome'>): { id: string; color?: string } {
  switch (t.state) {
    case 'waiting':
      return { id: 'watch' };
    case 'queued':
      return { id: 'list-ordered' };
    case 'running':
      return { id: 'sync~spin' };
    case 'paused':
      return { id: 'debug-pause' };
    case 'done':
      return { id: 'pass', color: 'testing.iconPassed' };
    case 'failed':
      return t.outcome === 'budget-exceeded'
        ? { id: 'dashboard', color: 'list.warningForeground' }
        : { id: 'error', color: 'list.errorForeground' };
    case 'cancelled':
      return { id: 'debug-stop' };
    default: {
      const never: never = t.state;
      return never;
    }
  }
}

export function describeTask(t: TaskInfo, now = Date.now()): string {
  const parts: string[] = [stateWords(t), `p${t.priority}`];
  if (t.deps.length) parts.push(`after ${t.deps.join(', ')}`);
  if (t.state === 'running' && t.startedAt) parts.push(`${Math.round((now - t.startedAt) / 1000)} s`);
  if (t.finishedAt && t.startedAt && (t.state === 'done' || t.state === 'failed' || t.state === 'cancelled'))
    parts.push(`${Math.round((t.finishedAt - t.startedAt) / 1000)} s`);
  if (t.pausedBy) parts.push(`paused by ${t.pausedBy}`);
  if (t.reason) parts.push(t.reason);
  return parts.join(' · ');
}

/** "sandboxes 1/2 · cpu 0/4": each limited resource's use against its limit. */
export function describeUse(limits: Resources, inUse: Resources): string {
  return ResourceName.options
    .filter((k) => limits[k] !== undefined)
    .map((k) => `${k} ${inUse[k] ?? 0}/${limits[k]}`)
    .join(' · ');
}
