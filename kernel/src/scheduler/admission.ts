// Admission: a submitted task is checked (schema, unique id, could ever fit, deadline ahead, no dependency cycle) before it gets a record.
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { findCycle } from './dag';
import { EMPTY, maskOf, type TaskRecord } from './record';
import type { TaskLedger } from './ledger';
import type { ResourcePool } from './resources';
import { TaskSpec, type TaskSpecInput, type TaskWork } from './types';

/** A new waiting record for the task (`seq`: its arrival order), or an AirlockError saying why it can never be accepted. */
export function admit(input: TaskSpecInput, work: TaskWork, seq: number, now: number, pool: ResourcePool, tasks: TaskLedger): TaskRecord {
  const parsed = TaskSpec.safeParse(input);
  if (!parsed.success) throw new AirlockError(ErrorCodes.BadParams, `invalid task: ${parsed.error.issues[0]?.message}`);
  const spec = parsed.data;
  if (tasks.known(spec.id)) throw new AirlockError('TASKS_DUPLICATE', `a task with id ${spec.id} already exists`);
  pool.checkSatisfiable(spec.id, spec.resources);
  if (spec.deadline !== undefined && spec.deadline <= now)
    throw new AirlockError('TASKS_DEADLINE_PASSED', `task ${spec.id}'s deadline is already past`);
  const cycle = spec.deps.length ? findCycle(spec.id, spec.deps, (id) => tasks.get(id)?.spec.deps) : undefined;
  if (cycle)
    throw new AirlockError('TASKS_CYCLE', `dependency cycle: ${cycle.join(' -> ')}`, 'remove one of these dependencies', { cycle });
  return {
    spec,
    work,
    seq,
    mask: maskOf(spec.resources),
    key: Infinity,
    heapIndex: -1,
    state: 'waiting',
    unmet: new Set(),
    held: EMPTY,
    suspended: false,
    personHold: false,
    pausedBy: null,
    attempt: 0,
    submittedAt: now,
    startedAt: null,
    finishedAt: null,
    reason: null,
  };
}
