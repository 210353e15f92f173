// A task paused by preemption keeps its sandboxes: a more urgent task that needs them takes them back, never deadlocks.
import * as assert from 'node:assert/strict';
import type { AirlockError } from '../../../protocol/src/errors';
import { Scheduler } from '../../../kernel/src/scheduler/scheduler';
import { gate, LogPreemptor } from './sched-helpers';
import { flush } from './virtual-clock';

/** low (pause) is paused for high's CPU and keeps its sandbox; then mid, more urgent than low, needs both sandboxes. */
function pausedHolder() {
  const pre = new LogPreemptor();
  const s = new Scheduler({ limits: { cpu: 1, sandboxes: 2 }, preemptor: pre });
  const [low, high, mid] = [gate(), gate(), gate()];
  s.submit({ id: 'low', priority: 9, resources: { cpu: 1, sandboxes: 1 }, preemption: 'pause' }, low.work);
  s.submit({ id: 'high', priority: 0, resources: { cpu: 1 } }, high.work);
  return { pre, s, low, high, mid };
}

describe('scheduler: sandboxes held by a paused task', () => {
  it('a more urgent task that needs them stops and requeues the paused task (found by the property test: a deadlock)', async () => {
    const { s, low, high, mid } = pausedHolder();
    await flush();
    assert.equal(s.get('low')!.state, 'paused');
    // Before the fix: mid waited for low's sandbox, low waited behind mid (mid reserves sandboxes) — forever.
    s.submit({ id: 'mid', priority: 1, resources: { sandboxes: 2 } }, mid.work);
    assert.ok(low.runs[0].signal.aborted, "the paused task's run is stopped (its sandbox is destroyed)");
    assert.equal((low.runs[0].signal.reason as AirlockError).code, 'TASKS_PREEMPTED');
    assert.equal(s.get('low')!.state, 'queued');
    await flush();
    assert.equal(s.get('mid')!.state, 'running', 'mid starts once the sandbox is really gone');
    assert.deepEqual(s.inUse, { cpu: 1, sandboxes: 2, modelRequests: 0 });
    high.runs[0].end();
    mid.runs[0].end();
    await flush();
    assert.equal(s.get('low')!.state, 'running');
    assert.equal(low.runs.length, 2, 'runs again from scratch');
    assert.equal(low.runs[1].attempt, 2);
    low.runs[1].end();
    await flush();
    assert.deepEqual(
      s.list().map((t) => `${t.id} ${t.state}`),
      ['low done', 'high done', 'mid done'],
    );
    s.dispose();
  });

  it('a less urgent task waits for them; so does any task while a person holds the paused one', async () => {
    const { pre, s, low, high, mid } = pausedHolder();
    const late = gate();
    s.submit({ id: 'late', priority: 20, resources: { sandboxes: 2 } }, late.work);
    await flush();
    assert.equal(s.get('late')!.state, 'queued');
    assert.ok(!low.runs[0].signal.aborted, 'a less urgent task never stops the paused one');
    s.pause('low');
    s.submit({ id: 'mid', priority: 1, resources: { sandboxes: 2 } }, mid.work);
    await flush();
    assert.ok(!low.runs[0].signal.aborted, 'held by a person: kept');
    assert.equal(s.get('mid')!.state, 'queued');
    s.resume('low');
    await flush();
    assert.ok(low.runs[0].signal.aborted, 'released by the person: now mid takes its sandbox back');
    await flush();
    assert.equal(s.get('mid')!.state, 'running');
    assert.deepEqual(pre.log, ['pause low']);
    high.runs[0].end();
    s.dispose();
  });
});
