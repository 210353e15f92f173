// Property tests of the scheduler on a virtual clock: dependency order, concurrency limits, bounded waiting.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ResourceName, Resources } from '../../../protocol/src/methods/tasks';
import { Scheduler } from '../../../kernel/src/scheduler/scheduler';
import type { IPreemptor } from '../../../kernel/src/scheduler/types';
import { flush, VirtualClock } from './virtual-clock';

const NAMES: ResourceName[] = ['sandboxes', 'modelRequests', 'cpu'];

/** Records which tasks have their sandboxes paused (what the runtime's engine pause would do). */
class RecordingPreemptor implements IPreemptor {
  readonly paused = new Set<string>();
  async pause(id: string): Promise<void> {
    this.paused.add(id);
  }
  async resume(id: string): Promise<void> {
    this.paused.delete(id);
  }
}

const taskArb = fc.record({
  priority: fc.integer({ min: 0, max: 5 }),
  duration: fc.integer({ min: 1, max: 50 }),
  arrival: fc.integer({ min: 0, max: 100 }),
  sandboxes: fc.integer({ min: 0, max: 2 }),
  modelRequests: fc.integer({ min: 0, max: 2 }),
  cpu: fc.integer({ min: 0, max: 2 }),
  preemption: fc.constantFrom('pause', 'requeue', 'never') as fc.Arbitrary<'pause' | 'requeue' | 'never'>,
  depPicks: fc.array(fc.nat(), { maxLength: 3 }),
});

describe('scheduler properties (fast-check)', () => {
  it('respects dependency order and never exceeds a resource limit, with preemption on', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(taskArb, { minLength: 1, maxLength: 25 }),
        fc.record({
          sandboxes: fc.integer({ min: 2, max: 4 }),
          modelRequests: fc.integer({ min: 2, max: 3 }),
          cpu: fc.integer({ min: 2, max: 3 }),
        }),
        async (specs, limits) => {
          const clock = new VirtualClock();
          const preemptor = new RecordingPreemptor();
          const s = new Scheduler({ limits, clock, preemptor, ageStepMs: 10 });
          const done = new Set<string>();
          const executing = new Map<string, Resources>();
          const violations: string[] = [];
          const checkLimits = () => {
            for (const r of NAMES) {
              let sum = 0;
              for (const [id, need] of executing) sum += preemptor.paused.has(id) && r !== 'sandboxes' ? 0 : (need[r] ?? 0);
              if (sum > limits[r]) violations.push(`${r} ${sum} > ${limits[r]} at t=${clock.now()}`);
            }
          };
          const ids = specs.map((_, i) => `t${i}`);
          specs.forEach((sp, i) => {
            // Dependencies only on earlier tasks: a DAG (cycles are tested separately).
            const deps = i === 0 ? [] : [...new Set(sp.depPicks.map((p) => ids[p % i]))];
            const resources = { sandboxes: sp.sandboxes, modelRequests: sp.modelRequests, cpu: sp.cpu };
            clock.setTimer(sp.arrival, () => {
              s.submit({ id: ids[i], priority: sp.priority, deps, resources, preemption: sp.preemption }, async (ctx) => {
                // A stopped run's sandboxes were destroyed (task-sandbox.ts): a new attempt's are not paused.
                preemptor.paused.delete(ids[i]);
                for (const d of deps) if (!done.has(d)) violations.push(`${ids[i]} started before its dependency ${d}`);
                executing.set(ids[i], resources);
                checkLimits();
                try {
                  // Paused time does not count towards the work: wait until the sandbox is resumed.
                  let left = sp.duration;
                  while (left > 0) {
                    await clock.sleep(1, ctx.signal);
                    if (!preemptor.paused.has(ids[i])) left--;
                    checkLimits();
                  }
                  done.add(ids[i]);
                } finally {
                  executing.delete(ids[i]);
                }
              });
            });
          });
          await clock.advanceTo(100_000);
          await flush();
          assert.deepEqual(violations, []);
          assert.equal(done.size, specs.length, 'every task finished');
          assert.ok(s.list().every((t) => t.state === 'done'));
          assert.deepEqual(s.inUse, { sandboxes: 0, modelRequests: 0, cpu: 0 });
          s.dispose();
        },
      ),
      { numRuns: 60 },
    );
  });

  /**
   * Bound: a task of priority p ready at e has key K = e + p·s. Anything ready later has a larger key, so at most
   * Q0 (queued at e) + ceil(p·s / a) (arrivals before K) + 1 (running) tasks go first: it starts by e + that × d.
   */
  it('starts a low-priority task within the proven bound under a steady stream of high-priority work', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 9 }),
        async (p, ageStep, a, extra, offset) => {
          const d = a + extra; // service time >= inter-arrival time: the high-priority stream alone saturates the slot
          const lowAt = 5 * a + offset;
          const worstAhead = Math.floor(lowAt / a) + 2 + Math.ceil((p * ageStep) / a);
          const started = await simulateStream({ p, ageStep, a, d, lowAt, horizon: lowAt + (2 * worstAhead + 3) * d });
          const ahead = started.queuedAtLowArrival + Math.ceil((p * ageStep) / a) + 1;
          assert.ok(started.low !== undefined && started.lowDone !== undefined, 'low-priority task started and finished');
          assert.ok(started.low! - started.lowReady <= ahead * d, `waited ${started.low! - started.lowReady} > bound ${ahead * d}`);
          // Each task ahead either runs first or preempts it once (destroy + requeue costs at most d of its work).
          assert.ok(
            started.lowDone! - started.lowReady <= (2 * ahead + 1) * d,
            `finished after ${started.lowDone! - started.lowReady} > ${(2 * ahead + 1) * d}`,
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('without ageing the same stream starves the low-priority task (the bound above is not vacuous)', async () => {
    const started = await simulateStream({ p: 3, ageStep: Infinity, a: 2, d: 3, lowAt: 10, horizon: 3000 });
    assert.equal(started.low, undefined);
  });
});

async function simulateStream(o: { p: number; ageStep: number; a: number; d: number; lowAt: number; horizon: number }) {
  const clock = new VirtualClock();
  const s = new Scheduler({ limits: { cpu: 1 }, clock, ageStepMs: o.ageStep });
  let n = 0;
  let low: number | undefined;
  let lowDone: number | undefined;
  let queuedAtLowArrival = 0;
  const arrive = () => {
    if (clock.now() > o.horizon) return;
    s.submit({ id: `h${n++}`, priority: 0, resources: { cpu: 1 } }, (ctx) => clock.sleep(o.d, ctx.signal));
    clock.setTimer(o.a, arrive);
  };
  arrive();
  clock.setTimer(o.lowAt, () => {
    queuedAtLowArrival = s.queued;
    s.submit({ id: 'low', priority: o.p, resources: { cpu: 1 } }, async (ctx) => {
      low ??= clock.now();
      await clock.sleep(o.d, ctx.signal);
      lowDone = clock.now();
    });
  });
  await clock.advanceTo(o.horizon);
  s.dispose();
  return { low, lowDone, lowReady: o.lowAt, queuedAtLowArrival };
}
