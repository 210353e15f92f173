// The scheduler's memory of tasks: every live record, the newest finished ones (older outcomes from SQLite), and who waits on whom.
import type { TaskState } from '../../../protocol/src/methods/tasks';
import type { TaskRecord } from './record';

export class TaskLedger {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly outcome = new Map<string, TaskState>();
  private readonly dependents = new Map<string, Set<string>>();
  private finished: string[] = [];
  private finishedHead = 0;

  constructor(
    private readonly keepFinished: number,
    /** A finished task older than the newest `keepFinished` (kept in SQLite, not here): see SchedulerOptions.pastOutcome. */
    private readonly pastOutcome?: (id: string) => TaskState | undefined,
  ) {}

  get(id: string): TaskRecord | undefined {
    return this.tasks.get(id);
  }

  add(rec: TaskRecord): void {
    this.tasks.set(rec.spec.id, rec);
  }

  values(): IterableIterator<TaskRecord> {
    return this.tasks.values();
  }

  /** Whether the id is taken: by a listed record, or by a task that finished before them. */
  known(id: string): boolean {
    return this.tasks.has(id) || this.outcomeOf(id) !== undefined;
  }

  /** A finished task's state: from memory for the newest `keepFinished`, before them from `pastOutcome`. */
  outcomeOf(id: string): TaskState | undefined {
    return this.outcome.get(id) ?? (this.tasks.has(id) ? undefined : this.pastOutcome?.(id));
  }

  /** `id` waits for `dep` to finish. */
  waitFor(id: string, dep: string): void {
    let set = this.dependents.get(dep);
    if (!set) this.dependents.set(dep, (set = new Set()));
    set.add(id);
  }

  /** The tasks that waited for `id`, forgotten here (they are told once). */
  takeDependents(id: string): Iterable<string> {
    const deps = this.dependents.get(id);
    this.dependents.delete(id);
    return deps ?? [];
  }

  /** Remembers a finished task's outcome; the oldest beyond `keepFinished` are dropped, record and outcome together. */
  recordFinished(id: string, state: TaskState): void {
    this.outcome.set(id, state);
    this.finished.push(id);
    // The outcome goes with the record: kept for every task ever finished, it grew the kernel without bound.
    while (this.finished.length - this.finishedHead > this.keepFinished) {
      const old = this.finished[this.finishedHead++];
      this.tasks.delete(old);
      this.outcome.delete(old);
    }
    if (this.finishedHead > 4096) {
      this.finished = this.finished.slice(this.finishedHead);
      this.finishedHead = 0;
    }
  }
}
