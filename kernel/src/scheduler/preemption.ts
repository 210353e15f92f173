// Preemption choices: which running tasks may be preempted, what each gives back, and the victims for a more urgent head.
import type { Resources } from '../../../protocol/src/methods/tasks';
import { lessByKey, type TaskRecord } from './record';
import { add, covers, pick } from './resources';
import { RELEASED_ON_PAUSE, RESOURCE_NAMES } from './types';

/** Requeue always can; pause only with a preemptor that pauses sandboxes; never never. */
export function canPreempt(rec: TaskRecord, hasPreemptor: boolean): boolean {
  return rec.spec.preemption === 'requeue' || (rec.spec.preemption === 'pause' && hasPreemptor);
}

/**
 * What preempting `v` gives back: a running task paused keeps its sandboxes; one already paused (suspended) gives back
 * those sandboxes, as it is then stopped and requeued.
 */
export function releasedBy(v: TaskRecord): Resources {
  if (v.suspended) return v.held;
  return v.spec.preemption === 'pause' ? pick(v.held, RELEASED_ON_PAUSE) : v.held;
}

/**
 * The less urgent tasks to preempt so that `head` fits, least urgent first; all or nothing (undefined: none would do, or
 * enough is already on its way back). `shortfall` is what is missing beyond what is being released. `running` may hold
 * tasks paused by preemption: they keep their sandboxes, and a head that needs those must be able to take them back, or
 * it would wait for a task that waits behind it (the head reserves the kinds it needs) — a deadlock.
 */
export function victimsFor(
  head: TaskRecord,
  running: Iterable<TaskRecord>,
  preemptible: (v: TaskRecord) => boolean,
  shortfall: () => Resources,
): TaskRecord[] | undefined {
  let any = false;
  for (const v of running)
    if (preemptible(v) && lessByKey(head, v)) {
      any = true;
      break;
    }
  if (!any) return undefined; // the common case, decided without allocating
  const short = shortfall();
  // Enough is already on its way back: wait for it rather than preempting more.
  if (!RESOURCE_NAMES.some((r) => short[r])) return undefined;
  const victims = [...running].filter((v) => preemptible(v) && lessByKey(head, v)).sort((a, b) => (lessByKey(a, b) ? 1 : -1));
  let freed: Resources = {};
  const chosen: TaskRecord[] = [];
  for (const v of victims) {
    if (covers(freed, short)) break;
    const rel = releasedBy(v);
    if (!RESOURCE_NAMES.some((r) => short[r] && rel[r])) continue;
    chosen.push(v);
    freed = add(freed, rel);
  }
  return covers(freed, short) ? chosen : undefined;
}
