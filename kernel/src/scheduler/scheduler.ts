// The task scheduler: ageing min-heap ready queues, dependency DAG, per-resource limits, preemption, event-driven dispatch.
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { Disposable, Emitter, IDisposable } from '../../../protocol/src/lifecycle';
import type { ResourceName, Resources, TaskInfo, TaskState } from '../../../protocol/src/methods/tasks';
import { findCycle } from './dag';
import { type IReadyQueue, MinHeap } from './heap';
import { lessByKey, maskOf, Run, type TaskRecord } from './record';
import { add, covers, pick, ResourcePool, subtract } from './resources';
import {
  type Clock,
  type IPreemptor,
  realClock,
  RELEASED_ON_PAUSE,
  RESOURCE_NAMES,
  TaskSpec,
  type TaskSpecInput,
  type TaskWork,
  type WorkOutcome,
} from './types';

export { lessByKey, type TaskRecord } from './record';

export interface SchedulerOptions {
  limits: Resources;
  /** Waiting this long is worth one priority level (ageing): the starvation bound is priority × ageStepMs. */
  ageStepMs?: number;
  clock?: Clock;
  preemptor?: IPreemptor;
  /** For benchmarks: a different ready queue on the same scheduler. */
  queue?: (less: (a: TaskRecord, b: TaskRecord) => boolean) => IReadyQueue<TaskRecord>;
  /** Finished tasks kept for listing (and their outcomes, for dependencies and duplicate ids). */
  keepFinished?: number;
  /**
   * The outcome of a task that finished before the newest `keepFinished` (kept in SQLite, not here): a dependency on it
   * is met or failed by it, and its id stays taken. Without it such a dependency waits as if never submitted.
   */
  pastOutcome?: (id: string) => TaskState | undefined;
}

const TERMINAL: ReadonlySet<TaskState> = new Set(['done', 'failed', 'cancelled']);
/** A finished record's work: never run again (terminal records are never dispatched). */
const FINISHED_WORK: TaskWork = () => Promise.reject(new AirlockError('TASKS_FINISHED', 'the task has finished', 'start a new task'));
const QUEUES = 1 << RESOURCE_NAMES.length;
/** Shared 'holds nothing' value: lets dispatch skip a subtraction for tasks that never started. */
const EMPTY: Resources = Object.freeze({});

export class Scheduler extends Disposable {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly outcome = new Map<string, TaskState>();
  private readonly dependents = new Map<string, Set<string>>();
  private readonly running = new Set<TaskRecord>();
  private finished: string[] = [];
  private finishedHead = 0;
  /** One ready queue per set of resource kinds needed, so a blocked head excludes whole queues in O(1). */
  private readonly queues: IReadyQueue<TaskRecord>[];
  private readonly pool: ResourcePool;
  private readonly clock: Clock;
  private readonly ageStepMs: number;
  private seq = 0;
  private gen = 0;
  /** Resources given up by preempted or cancelled tasks whose sandboxes have not stopped (or paused) yet. */
  private releasing: Resources = {};
  private scheduling = false;
  private again = false;
  /** Tasks started (or resumed) so far: one scheduling decision each. */
  decisions = 0;
  private readonly _onDidChange = this._register(new Emitter<TaskInfo>());
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly options: SchedulerOptions) {
    super();
    this.pool = new ResourcePool(options.limits);
    this.clock = options.clock ?? realClock;
    this.ageStepMs = options.ageStepMs ?? 1000;
    this.queues = Array.from({ length: QUEUES }, () => (options.queue ? options.queue(lessByKey) : new MinHeap(lessByKey)));
  }

  /** Queues a task (starting it at once when it is ready and fits); `get(id)` describes it. */
  submit(input: TaskSpecInput, work: TaskWork): void {
    if (this._store.isDisposed) throw new AirlockError('TASKS_STOPPED', 'the scheduler is shut down');
    const parsed = TaskSpec.safeParse(input);
    if (!parsed.success) throw new AirlockError(ErrorCodes.BadParams, `invalid task: ${parsed.error.issues[0]?.message}`);
    const spec = parsed.data;
    if (this.tasks.has(spec.id) || this.outcomeOf(spec.id))
      throw new AirlockError('TASKS_DUPLICATE', `a task with id ${spec.id} already exists`);
    this.pool.checkSatisfiable(spec.id, spec.resources);
    const now = this.clock.now();
    if (spec.deadline !== undefined && spec.deadline <= now)
      throw new AirlockError('TASKS_DEADLINE_PASSED', `task ${spec.id}'s deadline is already past`);
    const cycle = spec.deps.length ? findCycle(spec.id, spec.deps, (id) => this.tasks.get(id)?.spec.deps) : undefined;
    if (cycle)
      throw new AirlockError('TASKS_CYCLE', `dependency cycle: ${cycle.join(' -> ')}`, 'remove one of these dependencies', { cycle });
    const rec: TaskRecord = {
      spec,
      work,
      seq: this.seq++,
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
    this.tasks.set(spec.id, rec);
    let failedDep: string | undefined;
    for (const d of spec.deps) {
      const out = this.outcomeOf(d);
      if (out === 'done') continue;
      if (out) {
        failedDep = `dependency ${d} ${out}`;
        break;
      }
      rec.unmet.add(d);
      let set = this.dependents.get(d);
      if (!set) this.dependents.set(d, (set = new Set()));
      set.add(spec.id);
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
    return this.info(rec);
  }

  /** A person pauses a task: queued ones leave the queue, running ones are preempted per their policy. */
  pause(id: string): TaskInfo {
    const rec = this.live(id);
    if (rec.personHold) return this.info(rec);
    if (rec.state === 'running') {
      if (!this.canPreempt(rec)) {
        throw new AirlockError(
          'TASKS_NOT_PAUSABLE',
          `task ${id} cannot be paused while running (preemption: ${rec.spec.preemption}${this.options.preemptor ? '' : ', no preemptor'})`,
          'cancel it instead',
        );
      }
      this.preempt(rec, 'person');
    } else if (rec.heapIndex >= 0) {
      this.queues[rec.mask].remove(rec);
      rec.state = 'paused';
      rec.pausedBy = 'person';
    } else if (rec.state === 'paused') {
      rec.pausedBy = 'person';
    }
    rec.personHold = true;
    this.changed(rec);
    this.schedule();
    return this.info(rec);
  }

  resume(id: string): TaskInfo {
    const rec = this.live(id);
    if (!rec.personHold) throw new AirlockError('TASKS_NOT_PAUSED', `task ${id} is not paused by a person`);
    rec.personHold = false;
    if (rec.state === 'paused') {
      rec.pausedBy = rec.suspended ? 'preemption' : null;
      rec.state = rec.suspended ? 'paused' : 'queued';
      this.queues[rec.mask].push(rec);
    }
    this.changed(rec);
    this.schedule();
    return this.info(rec);
  }

  get(id: string): TaskInfo | undefined {
    const rec = this.tasks.get(id);
    return rec && this.info(rec);
  }

  list(states?: readonly TaskState[]): TaskInfo[] {
    const out: TaskInfo[] = [];
    for (const rec of this.tasks.values()) if (!states || states.includes(rec.state)) out.push(this.info(rec));
    return out;
  }

  get limits(): Resources {
    return this.pool.limitsSnapshot;
  }
  get inUse(): Resources {
    return this.pool.inUse;
  }
  get queued(): number {
    return this.queues.reduce((n, q) => n + q.size, 0);
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
    this.queues[rec.mask].push(rec);
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

  /**
   * Starts the most urgent queued task while one fits (preempting less urgent ones if needed). A head that cannot
   * start reserves the resource kinds it needs: every queue needing one of them waits too, so smaller tasks never
   * backfill what a more urgent one is waiting for (that is what keeps the ageing bound true). At most QUEUES rounds block.
   */
  private dispatch(): void {
    let excluded = 0;
    let reserved = 0;
    for (;;) {
      let best: TaskRecord | undefined;
      for (let m = 0; m < QUEUES; m++) {
        if (excluded & (1 << m)) continue;
        const h = this.queues[m].peek();
        if (h && (!best || lessByKey(h, best))) best = h;
      }
      if (!best) return;
      const need = best.held === EMPTY ? best.spec.resources : subtract(best.spec.resources, best.held);
      if (this.pool.fits(need) || this.preemptFor(best, need)) {
        this.queues[best.mask].pop();
        this.start(best, need);
        continue;
      }
      reserved |= best.mask;
      excluded |= 1 << best.mask;
      for (let m = 0; m < QUEUES; m++) if (m & reserved) excluded |= 1 << m;
    }
  }

  private canPreempt(rec: TaskRecord): boolean {
    return rec.spec.preemption === 'requeue' || (rec.spec.preemption === 'pause' && this.options.preemptor !== undefined);
  }

  /** Frees resources for `head` by preempting less urgent running tasks, least urgent first; all or nothing. */
  private preemptFor(head: TaskRecord, need: Resources): boolean {
    let any = false;
    for (const v of this.running)
      if (this.canPreempt(v) && lessByKey(head, v)) {
        any = true;
        break;
      }
    if (!any) return false; // the common case, decided without allocating
    const short = subtract(this.pool.shortfall(need), this.releasing);
    // Enough is already on its way back: wait for it rather than preempting more.
    if (!RESOURCE_NAMES.some((r) => short[r])) return false;
    const victims = [...this.running].filter((v) => this.canPreempt(v) && lessByKey(head, v)).sort((a, b) => (lessByKey(a, b) ? 1 : -1));
    let freed: Resources = {};
    const chosen: TaskRecord[] = [];
    for (const v of victims) {
      if (covers(freed, short)) break;
      const rel = v.spec.preemption === 'pause' ? pick(v.held, RELEASED_ON_PAUSE) : v.held;
      if (!RESOURCE_NAMES.some((r) => short[r] && rel[r])) continue;
      chosen.push(v);
      freed = add(freed, rel);
    }
    if (!covers(freed, short)) return false;
    for (const v of chosen) this.preempt(v, 'preemption');
    // Usually false: the victims' resources come back when their sandboxes really stop, which re-runs dispatch.
    return this.pool.fits(need);
  }

  private preempt(v: TaskRecord, by: 'person' | 'preemption'): void {
    this.running.delete(v);
    if (v.spec.preemption === 'pause') {
      const rel = pick(v.held, RELEASED_ON_PAUSE);
      v.held = subtract(v.held, rel);
      v.suspended = true;
      v.state = 'paused';
      v.pausedBy = by;
      const run = v.run!;
      run.suspend();
      // CPU and model slots come back once the engine has really paused the sandboxes.
      this.drain(
        rel,
        this.options.preemptor!.pause(v.spec.id, run.signal).catch(() => this.pauseFailed(v, run)),
      );
      if (by === 'preemption') this.queues[v.mask].push(v);
    } else {
      v.state = by === 'person' ? 'paused' : 'queued';
      v.pausedBy = by === 'person' ? 'person' : null;
      // Requeued only once the old run has stopped, so a task never runs twice at once.
      this.stopRun(v, new AirlockError('TASKS_PREEMPTED', `task ${v.spec.id} was preempted; it will run again`), () => {
        if (v.state === 'queued' && v.heapIndex < 0) this.queues[v.mask].push(v);
      });
    }
    this.changed(v);
  }

  /** The engine could not pause it: fall back to destroy and requeue; resolves when the run has stopped. */
  private pauseFailed(v: TaskRecord, run: NonNullable<TaskRecord['run']>): Promise<void> {
    if (!v.suspended || v.run !== run) return Promise.resolve();
    v.suspended = false;
    if (v.heapIndex >= 0) this.queues[v.mask].remove(v);
    if (v.pausedBy === 'preemption') {
      v.state = 'queued';
      v.pausedBy = null;
    }
    this.stopRun(v, new AirlockError('TASKS_PREEMPTED', `pausing task ${v.spec.id} failed; it will run again from scratch`), () => {
      if (v.state === 'queued' && v.heapIndex < 0) this.queues[v.mask].push(v);
    });
    this.changed(v);
    return run.settled;
  }

  /** Aborts the current run; what it holds is released only when its work has settled (the sandbox is gone). */
  private stopRun(v: TaskRecord, reason: AirlockError, then?: () => void): void {
    const run = v.run;
    const held = v.held;
    v.run = undefined;
    v.held = EMPTY;
    if (!run) {
      this.pool.release(held);
      then?.();
      return;
    }
    run.abort(reason);
    this.drain(held, run.settled, then);
  }

  private drain(res: Resources, until: Promise<unknown>, then?: () => void): void {
    this.releasing = add(this.releasing, res);
    void until.then(() => {
      this.releasing = subtract(this.releasing, res);
      this.pool.release(res);
      then?.();
      this.schedule();
    });
  }

  private start(rec: TaskRecord, need: Resources): void {
    this.decisions++;
    this.pool.acquire(need);
    rec.held = rec.held === EMPTY ? need : add(rec.held, need);
    rec.state = 'running';
    rec.pausedBy = null;
    rec.startedAt ??= this.clock.now();
    this.running.add(rec);
    if (rec.suspended) {
      rec.suspended = false;
      const gen = rec.run!.gen;
      rec.run!.unsuspend();
      this.options.preemptor!.resume(rec.spec.id, rec.run!.signal).catch((err) => {
        if (rec.run?.gen === gen) this.finish(rec, 'failed', `resume failed: ${AirlockError.from(err).message}`);
      });
      this.changed(rec);
      return;
    }
    rec.attempt++;
    const gen = ++this.gen;
    const run = (rec.run = new Run(gen));
    const ctx = {
      id: rec.spec.id,
      attempt: rec.attempt,
      get signal() {
        return run.signal;
      },
      whenRunning: (s?: AbortSignal) => run.whenRunning(s),
    };
    let p: Promise<void | WorkOutcome>;
    try {
      p = rec.work(ctx);
    } catch (e) {
      p = Promise.reject(e);
    }
    run.promise = p;
    this.changed(rec);
    p.then(
      (r) => this.settled(rec, gen, undefined, r || undefined),
      (e) => this.settled(rec, gen, e ?? new Error('task failed')),
    );
  }

  private settled(rec: TaskRecord, gen: number, err?: unknown, result?: WorkOutcome): void {
    if (rec.run?.gen !== gen) return; // a requeued run's late answer
    // A run that fails while its sandboxes are being paused most likely died of the preemptor destroying them (the
    // engine refused to pause): it runs again from scratch, as a failed pause does, rather than failing the task.
    if (err !== undefined && rec.suspended && rec.run) {
      void this.pauseFailed(rec, rec.run);
      return;
    }
    if (err !== undefined) {
      this.finish(rec, 'failed', AirlockError.from(err).message);
      return;
    }
    rec.outcome = result?.outcome;
    // Work that ended badly without throwing (an agent's failure or budget stop) is failed, never a green "done".
    if (result?.outcome === 'failed' || result?.outcome === 'budget-exceeded') this.finish(rec, 'failed', result.message);
    else if (result?.outcome === 'cancelled') this.finish(rec, 'cancelled', result.message);
    else this.finish(rec, 'done', null);
  }

  private finish(rec: TaskRecord, state: 'done' | 'failed' | 'cancelled', reason: string | null): void {
    if (TERMINAL.has(rec.state)) return;
    if (rec.heapIndex >= 0) this.queues[rec.mask].remove(rec);
    this.running.delete(rec);
    if (state === 'done') {
      // The work has returned: nothing left to stop.
      this.pool.release(rec.held);
      rec.held = EMPTY;
      rec.run = undefined;
    } else {
      this.stopRun(rec, new AirlockError(state === 'cancelled' ? ErrorCodes.Cancelled : 'TASKS_FAILED', reason ?? state));
    }
    rec.suspended = false;
    rec.state = state;
    rec.reason = reason;
    rec.finishedAt = this.clock.now();
    rec.deadlineTimer?.dispose();
    rec.deadlineTimer = undefined;
    // Finished records stay listed (keepFinished) but must not keep their run's closure: it holds the whole task (its
    // policy engines, router, tool state), ~100 KB each — the kernel grew by that per task until 1,000 were listed.
    rec.work = FINISHED_WORK;
    this.outcome.set(rec.spec.id, state);
    this.retain(rec.spec.id);
    this.changed(rec);
    const deps = this.dependents.get(rec.spec.id);
    this.dependents.delete(rec.spec.id);
    for (const d of deps ?? []) {
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

  /** A finished task's state: from memory for the newest `keepFinished`, before them from `pastOutcome`. */
  private outcomeOf(id: string): TaskState | undefined {
    return this.outcome.get(id) ?? (this.tasks.has(id) ? undefined : this.options.pastOutcome?.(id));
  }

  private retain(id: string): void {
    this.finished.push(id);
    const keep = this.options.keepFinished ?? 1000;
    // The outcome goes with the record: kept for every task ever finished, it grew the kernel without bound.
    while (this.finished.length - this.finishedHead > keep) {
      const old = this.finished[this.finishedHead++];
      this.tasks.delete(old);
      this.outcome.delete(old);
    }
    if (this.finishedHead > 4096) {
      this.finished = this.finished.slice(this.finishedHead);
      this.finishedHead = 0;
    }
  }

  private changed(rec: TaskRecord): void {
    if (this._onDidChange.hasListeners) this._onDidChange.fire(this.info(rec));
  }

  private info(rec: TaskRecord): TaskInfo {
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
}
