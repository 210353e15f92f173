// Rewind of a conversation: the dropped turns' patch sets (each turn's output snapshot) are withdrawn from review.
import type { RewindOutcome, TaskRewindParams, TaskRewindResult } from '../../../protocol/src/methods/agent';
import { AirlockError } from '../../../protocol/src/errors';
import type { PatchService } from '../patches/service';

export interface RewindDeps {
  readonly patches: Pick<PatchService, 'list' | 'show' | 'decide'>;
  readonly tasks: { isActive(taskId: string): boolean };
}

/**
 * Every turn of a chat is a task whose output volume became a patch set kept in the state volume: that set is the
 * turn's snapshot. Rolling the proposal back to an earlier turn withdraws the sets of the turns after it (every file
 * rejected through PatchService.decide, so review.decide records each one with the rewind's note). Nothing is written
 * to the workspace: a set already merged, even in part, is reported as `merged` and left as it is.
 * A running turn is refused before anything changes: its set would appear after the rewind.
 */
export async function rewindTurns(d: RewindDeps, p: TaskRewindParams): Promise<TaskRewindResult> {
  const busy = p.tasks.filter((t) => d.tasks.isActive(t));
  if (busy.length) {
    throw new AirlockError(
      'TASK_REWIND_RUNNING',
      `cannot rewind past ${busy.join(', ')}: still running`,
      'stop the task (task/cancel), then rewind',
    );
  }
  const sets = new Map<string, string[]>();
  for (const s of d.patches.list()) if (s.taskId) sets.set(s.taskId, [...(sets.get(s.taskId) ?? []), s.id]);
  const note = `rewound: the conversation went back before this turn${p.reason ? ` (${p.reason.slice(0, 1800)})` : ''}`;
  const turns: TaskRewindResult['turns'] = [];
  for (const taskId of p.tasks) {
    const ids = sets.get(taskId) ?? [];
    if (!ids.length) turns.push({ taskId, setId: null, outcome: 'none' });
    for (const setId of ids) turns.push({ taskId, setId, outcome: await withdraw(d, setId, note) });
  }
  return { turns };
}

async function withdraw(d: RewindDeps, setId: string, note: string): Promise<RewindOutcome> {
  const s = d.patches.show(setId);
  if (s.set.status === 'merged' || s.merges.length > 0) return 'merged';
  if (s.set.status === 'rejected') return 'already-rejected';
  await d.patches.decide({ setId, items: s.set.files.map((f) => ({ path: f.path, decision: 'reject' as const })), note });
  return 'withdrawn';
}
