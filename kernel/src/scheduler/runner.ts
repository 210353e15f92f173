// Runs scheduled work: starts or resumes it on the resources it takes, preempts it, and takes those resources back only
// once its sandboxes have really stopped or paused. Which task runs next is the scheduler's (and queues.ts') decision.
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import type { Resources } from '../../../protocol/src/methods/tasks';
import { canPreempt, victimsFor } from './preemption';
import type { ReadyQueues } from './queues';
import { EMPTY, Run, type TaskRecord } from './record';
import { add, pick, type ResourcePool, subtract } from './resources';
import { type Clock, type IPreemptor, RELEASED_ON_PAUSE, type WorkOutcome } from './types';

/** What the runner asks of the scheduler that owns it. */
export interface RunHost {
  readonly queues: ReadyQueues;
  changed(rec: TaskRecord): void;
  /** Resources came back: dispatch again. */
  schedule(): void;
  finish(rec: TaskRecord, state: 'done' | 'failed' | 'cancelled', reason: string | null): void;
}

export class Runner {
  private readonly running = new Set<TaskRecord>();
  /** Tasks paused by preemption: their sandboxes are paused but still held (see `evict`). */
  private readonly suspended = new Set<TaskRecord>();
  /** Resources given up by preempted or cancelled tasks whose sandboxes have not stopped (or paused) yet. */
  private releasing: Resources = {};
  private gen = 0;
  /** Tasks started (or resumed) so far: one scheduling decision each. */
  decisions = 0;

  constructor(
    private readonly pool: ResourcePool,
    private readonly clock: Clock,
    private readonly preemptor: IPreemptor | undefined,
    private readonly host: RunHost,
  ) {}

  canPreempt(rec: TaskRecord): boolean {
    return canPreempt(rec, this.preemptor !== undefined);
  }

  /** What `head` still needs when it fits now, or once less urgent tasks are preempted; undefined while it must wait. */
  fit(head: TaskRecord): Resources | undefined {
    const need = head.held === EMPTY ? head.spec.resources : subtract(head.spec.resources, head.held);
    return this.pool.fits(need) || this.preemptFor(head, need) ? need : undefined;
  }

  /** Frees resources for `head` by preempting less urgent running tasks (preemption.ts: which ones); all or nothing. */
  private preemptFor(head: TaskRecord, need: Resources): boolean {
    const chosen = victimsFor(
      head,
      this.suspended.size ? [...this.running, ...this.suspended] : this.running,
      (v) => (v.suspended ? v.pausedBy === 'preemption' && !v.personHold : this.canPreempt(v)),
      () => subtract(this.pool.shortfall(need), this.releasing),
    );
    if (!chosen) return false;
    for (const v of chosen) {
      if (v.suspended) this.evict(v, `task ${v.spec.id} was paused and a more urgent task needs its sandboxes; it will run again`);
      else this.preempt(v, 'preemption');
    }
    // Usually false: the victims' resources come back when their sandboxes really stop, which re-runs dispatch.
    return this.pool.fits(need);
  }

  preempt(v: TaskRecord, by: 'person' | 'preemption'): void {
    this.running.delete(v);
    if (v.spec.preemption === 'pause') {
      const rel = pick(v.held, RELEASED_ON_PAUSE);
      v.held = subtract(v.held, rel);
      v.suspended = true;
      this.suspended.add(v);
      v.state = 'paused';
      v.pausedBy = by;
      const run = v.run!;
      run.suspend();
      // CPU and model slots come back once the engine has really paused the sandboxes.
      this.drain(
        rel,
        this.preemptor!.pause(v.spec.id, run.signal).catch(() => this.pauseFailed(v, run)),
      );
      if (by === 'preemption') this.host.queues.push(v);
    } else {
      v.state = by === 'person' ? 'paused' : 'queued';
      v.pausedBy = by === 'person' ? 'person' : null;
      // Requeued only once the old run has stopped, so a task never runs twice at once.
      this.stopRun(v, new AirlockError('TASKS_PREEMPTED', `task ${v.spec.id} was preempted; it will run again`), () => {
        if (v.state === 'queued' && v.heapIndex < 0) this.host.queues.push(v);
      });
    }
    this.host.changed(v);
  }

  /** The engine could not pause it: fall back to destroy and requeue; resolves when the run has stopped. */
  private pauseFailed(v: TaskRecord, run: Run): Promise<void> {
    if (!v.suspended || v.run !== run) return Promise.resolve();
    this.evict(v, `pausing task ${v.spec.id} failed; it will run again from scratch`);
    return run.settled;
  }

  /** A paused task is stopped (its sandboxes destroyed) and requeued; what it held comes back once its run has settled. */
  private evict(v: TaskRecord, why: string): void {
    v.suspended = false;
    this.suspended.delete(v);
    if (v.heapIndex >= 0) this.host.queues.remove(v);
    if (v.pausedBy === 'preemption') {
      v.state = 'queued';
      v.pausedBy = null;
    }
    this.stopRun(v, new AirlockError('TASKS_PREEMPTED', why), () => {
      if (v.state === 'queued' && v.heapIndex < 0) this.host.queues.push(v);
    });
    this.host.changed(v);
  }

  /** A finishing task gives back what it holds: at once when its work returned (done), else once its run has stopped. */
  release(rec: TaskRecord, state: 'done' | 'failed' | 'cancelled', reason: string | null): void {
    this.running.delete(rec);
    this.suspended.delete(rec);
    if (state === 'done') {
      // The work has returned: nothing left to stop.
      this.pool.release(rec.held);
      rec.held = EMPTY;
      rec.run = undefined;
    } else {
      this.stopRun(rec, new AirlockError(state === 'cancelled' ? ErrorCodes.Cancelled : 'TASKS_FAILED', reason ?? state));
    }
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
      this.host.schedule();
    });
  }

  /** Takes `need` for the task and runs it: a paused one is resumed, any other starts a fresh attempt of its work. */
  start(rec: TaskRecord, need: Resources): void {
    this.decisions++;
    this.pool.acquire(need);
    rec.held = rec.held === EMPTY ? need : add(rec.held, need);
    rec.state = 'running';
    rec.pausedBy = null;
    rec.startedAt ??= this.clock.now();
    this.running.add(rec);
    if (rec.suspended) {
      rec.suspended = false;
      this.suspended.delete(rec);
      const gen = rec.run!.gen;
      rec.run!.unsuspend();
      this.preemptor!.resume(rec.spec.id, rec.run!.signal).catch((err) => {
        if (rec.run?.gen === gen) this.host.finish(rec, 'failed', `resume failed: ${AirlockError.from(err).message}`);
      });
      this.host.changed(rec);
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
    this.host.changed(rec);
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
      this.host.finish(rec, 'failed', AirlockError.from(err).message);
      return;
    }
    rec.outcome = result?.outcome;
    // Work that ended badly without throwing (an agent's failure or budget stop) is failed, never a green "done".
    if (result?.outcome === 'failed' || result?.outcome === 'budget-exceeded') this.host.finish(rec, 'failed', result.message);
    else if (result?.outcome === 'cancelled') this.host.finish(rec, 'cancelled', result.message);
    else this.host.finish(rec, 'done', null);
  }
}
