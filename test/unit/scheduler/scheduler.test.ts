// Scheduler behaviour: cycles named at submit, limits, preemption (pause and requeue), person pause/resume/cancel, deadlines.
import * as assert from 'node:assert/strict';
import { AirlockError } from '../../../protocol/src/errors';
import { Scheduler } from '../../../kernel/src/scheduler/scheduler';
import type { IPreemptor, TaskContext } from '../../../kernel/src/scheduler/types';
import { code, gate, LogPreemptor } from './sched-helpers';
import { flush, VirtualClock } from './virtual-clock';

describe('scheduler', () => {
  it('rejects a dependency cycle at submit and names it; the rejected task leaves no trace', () => {
    const s = new Scheduler({ limits: { cpu: 1 } });
    const g = gate();
    s.submit({ id: 'a', priority: 1, deps: ['b'] }, g.work);
    s.submit({ id: 'b', priority: 1, deps: ['c'] }, g.work);
    assert.equal(
      code(() => s.submit({ id: 'c', priority: 1, deps: ['a'] }, g.work)),
      'TASKS_CYCLE: dependency cycle: c -> a -> b -> c',
    );
    assert.equal(
      code(() => s.submit({ id: 'self', priority: 1, deps: ['self'] }, g.work)),
      'TASKS_CYCLE: dependency cycle: self -> self',
    );
    assert.equal(s.get('c'), undefined);
    assert.deepEqual(
      s.list().map((t) => [t.id, t.state]),
      [
        ['a', 'waiting'],
        ['b', 'waiting'],
      ],
    );
    s.dispose();
  });

  it('refuses duplicates, unsatisfiable needs and past deadlines', () => {
    const s = new Scheduler({ limits: { sandboxes: 2 } });
    const g = gate();
    s.submit({ id: 'a', priority: 0 }, g.work);
    assert.match(
      code(() => s.submit({ id: 'a', priority: 0 }, g.work)),
      /^TASKS_DUPLICATE/,
    );
    assert.match(
      code(() => s.submit({ id: 'big', priority: 0, resources: { sandboxes: 3 } }, g.work)),
      /^TASKS_UNSATISFIABLE: task big needs 3 sandboxes but the limit is 2/,
    );
    assert.match(
      code(() => s.submit({ id: 'late', priority: 0, deadline: Date.now() - 1 }, g.work)),
      /^TASKS_DEADLINE_PASSED/,
    );
    s.dispose();
  });

  it('starts a task synchronously on submit when a slot is free, runs dependents after, cancels them when a dependency fails', async () => {
    const s = new Scheduler({ limits: { cpu: 2 } });
    const g = gate();
    s.submit({ id: 'a', priority: 5, resources: { cpu: 1 } }, g.work);
    assert.equal(s.get('a')!.state, 'running');
    s.submit({ id: 'b', priority: 0, deps: ['a'], resources: { cpu: 1 } }, g.work);
    s.submit({ id: 'c', priority: 0, deps: ['b'] }, g.work);
    s.submit({ id: 'd', priority: 0, deps: ['later'] }, g.work);
    assert.equal(s.get('b')!.state, 'waiting');
    g.runs[0].end();
    await flush();
    assert.equal(s.get('a')!.state, 'done');
    assert.equal(s.get('b')!.state, 'running');
    s.cancel('b', 'not needed');
    await flush();
    assert.deepEqual([s.get('b')!.state, s.get('b')!.reason], ['cancelled', 'not needed']);
    assert.deepEqual([s.get('c')!.state, s.get('c')!.reason], ['cancelled', 'dependency b cancelled']);
    assert.ok(g.runs[1].signal.aborted, 'the cancelled run saw its signal abort');
    // A dependency submitted later still unblocks its waiter.
    s.submit({ id: 'later', priority: 0 }, async () => {});
    await flush();
    await flush();
    assert.equal(s.get('d')!.state, 'running');
    s.dispose();
  });

  it('preempts by destroy+requeue: the victim is aborted, its slot freed when it stops, and it runs again', async () => {
    const s = new Scheduler({ limits: { sandboxes: 1 } });
    const low = gate();
    const high = gate();
    s.submit({ id: 'low', priority: 9, resources: { sandboxes: 1 }, preemption: 'requeue' }, low.work);
    s.submit({ id: 'high', priority: 0, resources: { sandboxes: 1 } }, high.work);
    assert.ok(low.runs[0].signal.aborted);
    assert.equal((low.runs[0].signal.reason as AirlockError).code, 'TASKS_PREEMPTED');
    await flush();
    assert.equal(s.get('high')!.state, 'running');
    assert.equal(s.get('low')!.state, 'queued');
    high.runs[0].end();
    await flush();
    assert.equal(low.runs.length, 2);
    assert.equal(low.runs[1].attempt, 2);
    low.runs[1].end();
    await flush();
    assert.equal(s.get('low')!.state, 'done');
    s.dispose();
  });

  it('preempts by pause: CPU is handed over, the sandbox stays held, the victim resumes without restarting', async () => {
    const pre = new LogPreemptor();
    const s = new Scheduler({ limits: { cpu: 1, sandboxes: 2 }, preemptor: pre });
    const low = gate();
    const high = gate();
    s.submit({ id: 'low', priority: 9, resources: { cpu: 1, sandboxes: 1 }, preemption: 'pause' }, low.work);
    s.submit({ id: 'high', priority: 0, resources: { cpu: 1, sandboxes: 1 } }, high.work);
    assert.equal(s.get('low')!.state, 'paused');
    assert.equal(s.get('low')!.pausedBy, 'preemption');
    await flush();
    assert.deepEqual(pre.log, ['pause low']);
    assert.equal(s.get('high')!.state, 'running');
    assert.deepEqual(s.inUse, { cpu: 1, sandboxes: 2, modelRequests: 0 });
    high.runs[0].end();
    await flush();
    assert.deepEqual(pre.log, ['pause low', 'resume low']);
    assert.equal(s.get('low')!.state, 'running');
    assert.equal(low.runs.length, 1, 'resumed, not restarted');
    assert.ok(!low.runs[0].signal.aborted);
    s.dispose();
  });

  it("a paused task's work waits at whenRunning (its model slot was given back) until the resume; abort ends the wait", async () => {
    const pre = new LogPreemptor();
    const s = new Scheduler({ limits: { modelRequests: 1 }, preemptor: pre });
    let ctxOf!: TaskContext;
    const lowRun = new Promise<void>(() => undefined);
    s.submit({ id: 'low', priority: 9, resources: { modelRequests: 1 }, preemption: 'pause' }, (ctx) => {
      ctxOf = ctx;
      return lowRun;
    });
    await ctxOf.whenRunning(); // running: at once
    const high = gate();
    s.submit({ id: 'high', priority: 0, resources: { modelRequests: 1 } }, high.work);
    assert.equal(s.get('low')!.state, 'paused');
    let passed = false;
    const waiting = ctxOf.whenRunning().then(() => {
      passed = true;
    });
    await flush();
    assert.equal(passed, false, 'no next model request while paused');
    const ac = new AbortController();
    const abandoned = ctxOf.whenRunning(ac.signal);
    ac.abort(new Error('stop pressed'));
    await assert.rejects(abandoned, /stop pressed/);
    high.runs[0].end();
    await flush();
    await waiting;
    assert.equal(passed, true);
    assert.equal(s.get('low')!.state, 'running');
    s.dispose();
  });

  it('falls back to destroy+requeue when the engine cannot pause', async () => {
    const pre = new LogPreemptor();
    pre.failPause = true;
    const s = new Scheduler({ limits: { cpu: 1 }, preemptor: pre });
    const low = gate();
    const high = gate();
    s.submit({ id: 'low', priority: 9, resources: { cpu: 1 }, preemption: 'pause' }, low.work);
    s.submit({ id: 'high', priority: 0, resources: { cpu: 1 } }, high.work);
    await flush();
    await flush();
    assert.ok(low.runs[0].signal.aborted);
    assert.equal(s.get('high')!.state, 'running');
    assert.equal(s.get('low')!.state, 'queued');
    high.runs[0].end();
    await flush();
    assert.equal(low.runs.length, 2);
    s.dispose();
  });

  it('a run that dies while its pause fails (the preemptor destroyed its sandbox first) is requeued, not failed', async () => {
    let killLow: ((e: Error) => void) | undefined;
    const pre: IPreemptor = {
      // As the runtime preemptor does when the engine refuses: destroy the sandboxes (the work fails), then reject.
      pause: async () => {
        killLow?.(new AirlockError('SANDBOX_AGENT_GONE', "the sandbox's exec agent closed its stream"));
        await flush();
        throw new Error('engine refused to pause');
      },
      resume: async () => undefined,
    };
    const s = new Scheduler({ limits: { cpu: 1 }, preemptor: pre });
    let attempts = 0;
    s.submit(
      { id: 'low', priority: 9, resources: { cpu: 1 }, preemption: 'pause' },
      (ctx) =>
        new Promise<void>((resolve, reject) => {
          attempts++;
          if (ctx.attempt === 1) killLow = reject;
          else resolve();
        }),
    );
    const high = gate();
    s.submit({ id: 'high', priority: 0, resources: { cpu: 1 } }, high.work);
    for (let i = 0; i < 5; i++) await flush();
    assert.equal(s.get('low')!.state, 'queued', s.get('low')!.reason ?? '');
    high.runs[0].end();
    for (let i = 0; i < 5; i++) await flush();
    assert.equal(attempts, 2);
    assert.equal(s.get('low')!.state, 'done');
    s.dispose();
  });

  it('never preempts a "never" task or a more urgent one', async () => {
    const s = new Scheduler({ limits: { cpu: 1 } });
    const g = gate();
    s.submit({ id: 'pinned', priority: 9, resources: { cpu: 1 }, preemption: 'never' }, g.work);
    s.submit({ id: 'urgent', priority: 0, resources: { cpu: 1 } }, g.work);
    assert.equal(s.get('pinned')!.state, 'running');
    assert.equal(s.get('urgent')!.state, 'queued');
    assert.match(
      code(() => s.pause('pinned')),
      /^TASKS_NOT_PAUSABLE/,
    );
    s.dispose();
  });

  it('a person pauses and resumes queued and running tasks; a paused task is skipped by dispatch', async () => {
    const pre = new LogPreemptor();
    const s = new Scheduler({ limits: { cpu: 1 }, preemptor: pre });
    const a = gate();
    const b = gate();
    s.submit({ id: 'a', priority: 1, resources: { cpu: 1 }, preemption: 'pause' }, a.work);
    s.submit({ id: 'b', priority: 1, resources: { cpu: 1 } }, b.work);
    s.pause('b');
    assert.deepEqual([s.get('b')!.state, s.get('b')!.pausedBy], ['paused', 'person']);
    s.pause('a');
    await flush();
    assert.deepEqual(pre.log, ['pause a']);
    assert.deepEqual([s.get('a')!.state, s.get('a')!.pausedBy], ['paused', 'person']);
    assert.equal(b.runs.length, 0, 'b stays paused although the CPU is free');
    assert.match(
      code(() => s.resume('nope')),
      /^TASKS_NOT_FOUND/,
    );
    s.resume('a');
    await flush();
    assert.deepEqual(pre.log, ['pause a', 'resume a']);
    assert.equal(s.get('a')!.state, 'running');
    assert.match(
      code(() => s.resume('a')),
      /^TASKS_NOT_PAUSED/,
    );
    a.runs[0].end();
    await flush();
    assert.equal(b.runs.length, 0);
    s.resume('b');
    assert.equal(s.get('b')!.state, 'running');
    s.dispose();
  });

  it('fails a task whose deadline passes (queued or running), driven by a timer, not polling', async () => {
    const clock = new VirtualClock();
    const s = new Scheduler({ limits: { cpu: 1 }, clock });
    const g = gate();
    s.submit({ id: 'run', priority: 0, resources: { cpu: 1 }, deadline: 100 }, g.work);
    s.submit({ id: 'wait', priority: 0, resources: { cpu: 1 }, deadline: 50 }, g.work);
    await clock.advanceTo(49);
    assert.equal(s.get('wait')!.state, 'queued');
    await clock.advanceTo(50);
    assert.deepEqual([s.get('wait')!.state, s.get('wait')!.reason], ['failed', 'deadline passed']);
    await clock.advanceTo(100);
    assert.equal(s.get('run')!.state, 'failed');
    assert.ok(g.runs[0].signal.aborted);
    s.dispose();
  });

  it('does not let small tasks backfill a resource a blocked, more urgent task waits for', () => {
    const s = new Scheduler({ limits: { sandboxes: 2, modelRequests: 4 } });
    const g = gate();
    s.submit({ id: 'hold', priority: 0, resources: { sandboxes: 1 }, preemption: 'never' }, g.work);
    s.submit({ id: 'big', priority: 1, resources: { sandboxes: 2 } }, g.work);
    s.submit({ id: 'small', priority: 5, resources: { sandboxes: 1 } }, g.work);
    s.submit({ id: 'other', priority: 5, resources: { modelRequests: 1 } }, g.work);
    assert.equal(s.get('small')!.state, 'queued', 'would take the sandbox big waits for');
    assert.equal(s.get('other')!.state, 'running', 'uses a different resource, so it may run');
    s.dispose();
  });
});
