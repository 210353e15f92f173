// What the scheduler keeps of finished tasks is bounded (the soak's kernel grew per task); older outcomes come from
// the sessions store (pastOutcome), so dependencies and duplicate ids still work past the window.
import * as assert from 'node:assert/strict';
import type { AirlockError } from '../../../protocol/src/errors';
import type { TaskState } from '../../../protocol/src/methods/tasks';
import { Scheduler } from '../../../kernel/src/scheduler/scheduler';
import { stateOfStatus } from '../../../kernel/src/workflow/wiring';
import { flush } from './virtual-clock';

// What the scheduler's ledger (ledger.ts) holds: its records and its outcomes.
const sizes = (s: Scheduler) => {
  const ledger = (s as unknown as { tasks: { tasks: Map<string, unknown>; outcome: Map<string, unknown> } }).tasks;
  return { tasks: ledger.tasks.size, outcome: ledger.outcome.size };
};

async function runMany(s: Scheduler, n: number): Promise<void> {
  for (let i = 0; i < n; i++)
    s.submit({ id: `t${i}`, priority: 0, resources: { cpu: 1 } }, async () =>
      i % 3 === 0 ? { outcome: 'failed', message: 'x' } : undefined,
    );
  await flush();
}

describe('scheduler: retention of finished tasks', () => {
  it('keeps records and outcomes of the newest keepFinished tasks only, however many ran', async () => {
    const s = new Scheduler({ limits: { cpu: 2 }, keepFinished: 10 });
    await runMany(s, 500);
    assert.deepEqual(sizes(s), { tasks: 10, outcome: 10 });
    assert.equal(s.list().length, 10);
    assert.equal(s.get('t499')?.state, 'done');
    s.dispose();
  });

  it('a dependency on a task past the window is met, or cancelled, by its stored outcome', async () => {
    const past = new Map<string, TaskState>();
    const s = new Scheduler({ limits: { cpu: 2 }, keepFinished: 5, pastOutcome: (id) => past.get(id) });
    s.onDidChange((t) => {
      if (t.state === 'done' || t.state === 'failed' || t.state === 'cancelled') past.set(t.id, t.state);
    });
    await runMany(s, 50);
    assert.equal(s.get('t1'), undefined, 't1 is no longer in memory');
    s.submit({ id: 'after-done', priority: 0, resources: { cpu: 1 }, deps: ['t1'] }, async () => undefined);
    s.submit({ id: 'after-failed', priority: 0, resources: { cpu: 1 }, deps: ['t0'] }, async () => undefined);
    await flush();
    assert.equal(s.get('after-done')?.state, 'done');
    assert.deepEqual([s.get('after-failed')?.state, s.get('after-failed')?.reason], ['cancelled', 'dependency t0 failed']);
    assert.throws(
      () => s.submit({ id: 't2', priority: 0, resources: { cpu: 1 } }, async () => undefined),
      (e: AirlockError) => e.code === 'TASKS_DUPLICATE',
    );
    s.dispose();
  });

  it('maps stored session statuses to scheduler states', () => {
    assert.deepEqual(
      ['completed', 'cancelled', 'failed', 'budget-exceeded', null].map((x) => stateOfStatus(x as never)),
      ['done', 'cancelled', 'failed', 'failed', undefined],
    );
  });
});
