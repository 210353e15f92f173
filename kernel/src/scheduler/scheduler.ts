// The task scheduler: task states (submit, dependencies, person's pause/resume/cancel, finish) and event-driven dispatch.
// Beside it: admission.ts checks submissions, queues.ts orders ready tasks fairly, runner.ts runs and preempts them,
// ledger.ts remembers finished ones.
import { AirlockError } from '../../../protocol/src/errors';
import { Disposable, Emitter } from '../../../protocol/src/lifecycle';
import type { Resources, TaskInfo, TaskState } from '../../../protocol/src/methods/tasks';
import { admit } from './admission';
import { TaskLedger } from './ledger';
import { type QueueFactory, ReadyQueues } from './queues';
import { type TaskRecord, taskInfo, TERMINAL } from './record';
import { ResourcePool } from './resources';
import { Runner } from './runner';
import { type Clock, type IPreemptor, realClock, type TaskSpecInput, type TaskWork } from './types';

export { lessByKey, type TaskRecord } from './record';

export interface SchedulerOptions {
  limits: Resources;
  /** Waiting this long is worth one priority level (ageing): the starvation bound is priority × ageStepMs. */
  ageStepMs?: number;
  clock?: Clock;
  preemptor?: IPreemptor;
  /** For benchmarks: a different ready queue on the same scheduler. */
  queue?: QueueFactory;
  /** Finished tasks kept for listing (and their outcomes, for dependencies and duplicate ids). */
  keepFinished?: number;
  /**
   * The outcome of a task that finished before the newest `keepFinished` (kept in SQLite, not here): a dependency on it
   * is met or failed by it, and its id stays taken. Without it such a dependency waits as if never submitted.
   */
  pastOutcome?: (id: string) => TaskState | undefined;
}

/** A finished record's work: never run again (terminal records are never dispatched). */
const FINISHED_WORK: TaskWork = () => Promise.reject(new AirlockError('TASKS_FINISHED', 'the task has finished', 'start a new task'));

export class Scheduler extends Disposable {
  private readonly tasks: TaskLedger;
  private readonly queues: ReadyQueues;
  private readonly runner: Runner;
  private readonly pool: ResourcePool;
  private readonly clock: Clock;
  private readonly ageStepMs: number;
  private seq = 0;
  private scheduling = false;
  private again = false;
  private readonly _onDidChange = this._register(new Emitter<TaskInfo>());
  // Made once: dispatch runs after every submit and every finish.
  private readonly fit = (head: TaskRecord) => this.runner.fit(head);
  private readonly start = (head: TaskRecord, need: Resources) => this.runner.start(head, need);
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly options: SchedulerOptions) {
    super();
    this.pool = new ResourcePool(options.limits);
    this.clock = options.clock ?? realClock;
    this.ageStepMs = options.ageStepMs ?? 1000;
    this.queues = new ReadyQueues(options.queue);
    this.tasks = new TaskLedger(options.keepFinished ?? 1000, options.pastOutcome);
    this.runner = new Runner(this.pool, this.clock, options.preemptor, {
      queues: this.queues,
      changed: (rec) => this.changed(rec),
      schedule: () => this.schedule(),
      finish: (rec, state, reason) => this.finish(rec, state, reason),
    });
  }

  /** Tasks started (or resumed) so far: one scheduling decision each. */
  get decisions(): number {
    return this.runner.decisions;
  }

  /** Queues a task (starting it at once when it is ready and fits); `get(id)` describes it. */
  submit(input: TaskSpecInput, work: TaskWork): void {
    if (this._store.isDisposed) throw new AirlockError('TASKS_STOPPED', 'the scheduler is shut down');
    const now = this.clock.now();
    const rec = admit(input, work, this.seq, now, this.pool, this.tasks);
    const spec = rec.spec;
    this.seq++;
    this.tasks.add(rec);
    let failedDep: string | undefined;
    for (const d of spec.deps) {
      const out = this.tasks.outcomeOf(d);
      if (out === 'done') continue;
      if (out) {
        failedDep = `dependency ${d} ${out}`;
        break;
      }
      rec.unmet.add(d);
      this.tasks.waitFor(spec.id, d);
    }
    if (spec.deadline !== undefined) {
      rec.deadlineTimer = this.clock.setTimer(spec.deadline - now, () => this.finish(rec, 'failed', 'deadline passed'));
    }
    if (failedDep) this.finish(rec, 'cancelled', failedDep);
    else if (rec.unmet.size === 0) this.makeReady(rec);
    this.changed(rec);
    this.schedule();
  }

  cancel(id: string, reason = 'cancelled by a person'): TaskInfo {
    const rec = this.live(id);
    this.finish(rec, 'cancelled', reason);
    return taskInfo(rec);
  }

  /** A person pauses a task: queued ones leave the queue, running ones are preempted per their policy. */
  pause(id: string): TaskInfo {
    const rec = this.live(id);
    if (rec.personHold) return taskInfo(rec);
    if (rec.state === 'running') {
      if (!this.runner.canPreempt(rec)) {
        throw new AirlockError(
          'TASKS_NOT_PAUSABLE',
          `task ${id} cannot be paused while running (preemption: ${rec.spec.preemption}${this.options.preemptor ? '' : ', no preemptor'})`,
          'cancel it instead',
        );
      }
      this.runner.preempt(rec, 'person');
    } else if (rec.heapIndex >= 0) {
      this.queues.remove(rec);
      rec.state = 'paused';
      rec.pausedBy = 'person';
    } else if (rec.state === 'paused') {
      rec.pausedBy = 'person';
    }
    rec.personHold = true;
    this.changed(rec);
    this.schedule();
    return taskInfo(rec);
  }

  resume(id: string): TaskInfo {
    const rec = this.live(id);
    if (!rec.personHold) throw new AirlockError('TASKS_NOT_PAUSED', `task ${id} is not paused by a person`);
    rec.personHold = false;
    if (rec.state === 'paused') {
      rec.pausedBy = rec.suspended ? 'preemption' : null;
      rec.state = rec.suspended ? 'paused' : 'queued';
      this.queues.push(rec);
    }
    this.changed(rec);
    this.schedule();
    return taskInfo(rec);
  }

  get(id: string): TaskInfo | undefined {
    const rec = this.tasks.get(id);
    return rec && taskInfo(rec);
  }

  list(states?: readonly TaskState[]): TaskInfo[] {
    const out: TaskInfo[] = [];
    for (const rec of this.tasks.values()) if (!states || states.includes(rec.state)) out.push(taskInfo(rec));
    return out;
  }

  get limits(): Resources {
    return this.pool.limitsSnapshot;
  }
  get inUse(): Resources {
    return this.pool.inUse;
  }
  get queued(): number {
    return this.queues.size;
  }

  override dispose(): void {
    for (const rec of [...this.tasks.values()]) if (!TERMINAL.has(rec.state)) this.finish(rec, 'cancelled', 'scheduler stopped');
    super.dispose();
  }

  private live(id: string): TaskRecord {
    const rec = this.tasks.get(id);
    if (!rec) throw new AirlockError('TASKS_NOT_FOUND', `no task ${id}`, '`airlock tasks list` shows the known tasks');
    if (TERMINAL.has(rec.state)) throw new AirlockError('TASKS_FINISHED', `task ${id} already ${rec.state}`);
    return rec;
  }

  private makeReady(rec: TaskRecord): void {
    const now = this.clock.now();
    // 0 × Infinity is NaN: priority 0 must stay keyed by arrival even when ageing is switched off.
    rec.key = rec.spec.priority === 0 ? now : now + rec.spec.priority * this.ageStepMs;
    if (rec.personHold) {
      rec.state = 'paused';
      rec.pausedBy = 'person';
      return;
    }
    rec.state = 'queued';
    this.queues.push(rec);
  }

  /** Re-entrant calls (a task finishing synchronously inside dispatch) fold into one more round. */
  private schedule(): void {
    if (this.scheduling) {
      this.again = true;
      return;
    }
    this.scheduling = true;
    try {
      do {
        this.again = false;
        this.dispatch();
      } while (this.again);
    } finally {
      this.scheduling = false;
    }
  }

  /** Starts the most urgent queued task while one fits, preempting less urgent ones if needed. */
  private dispatch(): void {
    this.queues.offer(this.fit, this.start);
  }

  private finish(rec: TaskRecord, state: 'done' | 'failed' | 'cancelled', reason: string | null): void {
    if (TERMINAL.has(rec.state)) return;
    if (rec.heapIndex >= 0) this.queues.remove(rec);
    this.runner.release(rec, state, reason);
    rec.suspended = false;
    rec.state = state;
    rec.reason = reason;
    rec.finishedAt = this.clock.now();
    rec.deadlineTimer?.dispose();
    rec.deadlineTimer = undefined;
    // Finished records stay listed (keepFinished) but must not keep their run's closure: it holds the whole task (its
    // policy engines, router, tool state), ~100 KB each — the kernel grew by that per task until 1,000 were listed.
    rec.work = FINISHED_WORK;
    this.tasks.recordFinished(rec.spec.id, state);
    this.changed(rec);
    for (const d of this.tasks.takeDependents(rec.spec.id)) {
      const dep = this.tasks.get(d);
      if (!dep || TERMINAL.has(dep.state)) continue;
      if (state !== 'done') this.finish(dep, 'cancelled', `dependency ${rec.spec.id} ${state}`);
      else if (dep.unmet.delete(rec.spec.id) && dep.unmet.size === 0) {
        this.makeReady(dep);
        this.changed(dep);
      }
    }
    this.schedule();
  }

  private changed(rec: TaskRecord): void {
    if (this._onDidChange.hasListeners) this._onDidChange.fire(taskInfo(rec));
  }
}
