// A scheduled task's record and one execution of its work; the ready queues order records by their ageing key.
import type { IDisposable } from '../../../protocol/src/lifecycle';
import type { TaskStatus } from '../../../protocol/src/agent';
import type { Resources, TaskInfo, TaskState } from '../../../protocol/src/methods/tasks';
import type { HeapItem } from './heap';
import { RESOURCE_NAMES, type TaskSpec, type TaskWork } from './types';

export const TERMINAL: ReadonlySet<TaskState> = new Set(['done', 'failed', 'cancelled']);
/** Shared 'holds nothing' value: lets dispatch skip a subtraction for tasks that never started. */
export const EMPTY: Resources = Object.freeze({});

export interface TaskRecord extends HeapItem {
  spec: TaskSpec;
  work: TaskWork;
  seq: number;
  /** Which resource kinds it needs (bit per kind): its ready queue. */
  mask: number;
  /** Static ageing key: readyAt + priority × ageStep. Lower runs first; waiting never changes it, time catches up. */
  key: number;
  state: TaskState;
  unmet: Set<string>;
  held: Resources;
  /** Its sandboxes are paused (work promise still alive); dispatch resumes instead of starting. */
  suspended: boolean;
  personHold: boolean;
  pausedBy: 'person' | 'preemption' | null;
  run?: Run;
  attempt: number;
  submittedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  reason: string | null;
  /** How the work said it ended (WorkOutcome), when it did. */
  outcome?: TaskStatus;
  deadlineTimer?: IDisposable;
}

/** One execution of a task's work. The AbortController is made on first use: most quick tasks never look. */
export class Run {
  private controller?: AbortController;
  settledP?: Promise<void>;
  promise: Promise<unknown> = Promise.resolve();
  private gate?: { promise: Promise<void>; open: () => void };
  constructor(readonly gen: number) {}
  /** Paused: `whenRunning` waits until `unsuspend` (or the run is aborted). */
  suspend(): void {
    if (this.gate) return;
    let open!: () => void;
    this.gate = {
      promise: new Promise<void>((r) => {
        open = r;
      }),
      open,
    };
  }
  unsuspend(): void {
    this.gate?.open();
    this.gate = undefined;
  }
  whenRunning(signal?: AbortSignal): Promise<void> {
    const gate = this.gate;
    if (!gate) return Promise.resolve();
    const stop = signal ? AbortSignal.any([signal, this.signal]) : this.signal;
    if (stop.aborted) return Promise.reject(stop.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(stop.reason);
      stop.addEventListener('abort', onAbort, { once: true });
      void gate.promise.then(() => {
        stop.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }
  abort(reason: unknown): void {
    (this.controller ??= new AbortController()).abort(reason);
  }
  /** Resolves (never rejects) when the work has returned or thrown. */
  get settled(): Promise<void> {
    return (this.settledP ??= this.promise.then(noop, noop));
  }
}

const noop = (): void => undefined;

export function maskOf(res: Resources): number {
  let m = 0;
  for (let i = 0; i < RESOURCE_NAMES.length; i++) if (res[RESOURCE_NAMES[i]]) m |= 1 << i;
  return m;
}

export const lessByKey = (a: TaskRecord, b: TaskRecord): boolean => a.key < b.key || (a.key === b.key && a.seq < b.seq);

/** What listings and change events show of a record (a copy: callers cannot change the record through it). */
export function taskInfo(rec: TaskRecord): TaskInfo {
  const s = rec.spec;
  return {
    id: s.id,
    title: s.title,
    priority: s.priority,
    state: rec.state,
    deps: [...s.deps],
    resources: { ...s.resources },
    deadline: s.deadline ?? null,
    preemption: s.preemption,
    submittedAt: rec.submittedAt,
    startedAt: rec.startedAt,
    finishedAt: rec.finishedAt,
    pausedBy: rec.pausedBy,
    reason: rec.reason,
    ...(rec.outcome ? { outcome: rec.outcome } : {}),
  };
}
