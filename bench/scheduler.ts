// Scheduler benchmark: decisions/s with 10,000 queued tasks and submit-to-start latency, vs a binary-insertion sorted array.
import { nowMs, percentile, writeResults } from './lib';
import type { HeapItem, IReadyQueue } from '../kernel/src/scheduler/heap';
import { Scheduler, type TaskRecord } from '../kernel/src/scheduler/scheduler';

/**
 * The baseline: an array kept sorted by binary insertion (O(log n) compares + one splice), the strongest simple
 * alternative to a heap. Sorted so that the next task to run is at the end (pop is O(1)); equal items keep FIFO order.
 */
class SortedArrayQueue<T extends HeapItem> implements IReadyQueue<T> {
  private items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size() {
    return this.items.length;
  }
  push(item: T) {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.less(item, this.items[mid])) lo = mid + 1;
      else hi = mid;
    }
    this.items.splice(lo, 0, item);
    item.heapIndex = 0;
  }
  pop() {
    const x = this.items.pop();
    if (x) x.heapIndex = -1;
    return x;
  }
  peek() {
    return this.items[this.items.length - 1];
  }
  remove(item: T) {
    const i = this.items.indexOf(item);
    if (i < 0) return false;
    this.items.splice(i, 1);
    item.heapIndex = -1;
    return true;
  }
  values() {
    return this.items;
  }
}

type QueueFactory = ((less: (a: TaskRecord, b: TaskRecord) => boolean) => IReadyQueue<TaskRecord>) | undefined;

/**
 * Steady state: 10,000 tasks queued on one CPU slot; every finishing task submits one more (so the queue stays at
 * 10,000) and the scheduler picks the next. One decision = one submit + one pick + one start.
 */
async function decisionsPerSecond(queue: QueueFactory, decisions: number, queued = 10_000): Promise<number> {
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const s = new Scheduler({ limits: { cpu: 1 }, queue, ageStepMs: 1000 });
  let n = 0;
  let started = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const work = (): Promise<void> => {
    started++;
    if (started === decisions + 1) {
      done();
      return new Promise(() => {});
    }
    s.submit({ id: `t${n++}`, priority: Math.floor(rand() * 10), resources: { cpu: 1 }, preemption: 'never' }, work);
    return Promise.resolve();
  };
  s.submit({ id: 'gate', priority: 0, resources: { cpu: 1 }, preemption: 'never' }, () => gate);
  for (let i = 0; i < queued; i++)
    s.submit({ id: `t${n++}`, priority: Math.floor(rand() * 10), resources: { cpu: 1 }, preemption: 'never' }, work);
  const t = nowMs();
  release();
  await finished;
  const ms = nowMs() - t;
  if (s.queued !== queued - 1) throw new Error(`queue drifted to ${s.queued}`);
  s.dispose();
  return (decisions / ms) * 1000;
}

/** Submit to start with a free CPU slot while 10,000 tasks wait for a sandbox that is taken. */
async function submitToStart(queue: QueueFactory, samples: number): Promise<number[]> {
  const s = new Scheduler({ limits: { cpu: 4, sandboxes: 1 }, queue });
  s.submit({ id: 'holder', priority: 0, resources: { sandboxes: 1 }, preemption: 'never' }, () => new Promise(() => {}));
  for (let i = 0; i < 10_000; i++) s.submit({ id: `w${i}`, priority: i % 10, resources: { sandboxes: 1 } }, async () => {});
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    let startedAt = 0;
    const t = nowMs();
    s.submit({ id: `f${i}`, priority: 5, resources: { cpu: 1 } }, () => {
      startedAt = nowMs();
      return Promise.resolve();
    });
    if (!startedAt) throw new Error('a task with a free slot did not start at submit');
    out.push(startedAt - t);
    await Promise.resolve();
    await Promise.resolve();
  }
  s.dispose();
  return out;
}

const RUNS = 3;
const DECISIONS = 100_000;
const LATENCY_N = 5_000;

async function main(): Promise<void> {
  const naive: QueueFactory = (less) => new SortedArrayQueue(less);
  // Same warm-up for both (one 20,000-decision run, then 200 latency samples), then runs alternate heap / baseline
  // so both see the same machine load; the median run of each is reported.
  await decisionsPerSecond(undefined, 20_000);
  await decisionsPerSecond(naive, 20_000);
  const heapRates: number[] = [];
  const naiveRates: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    heapRates.push(await decisionsPerSecond(undefined, DECISIONS));
    naiveRates.push(await decisionsPerSecond(naive, DECISIONS));
  }
  await submitToStart(undefined, 200);
  await submitToStart(naive, 200);
  const heapLat = await submitToStart(undefined, LATENCY_N);
  const naiveLat = await submitToStart(naive, LATENCY_N);
  const model = 'in-process' as const;
  const rate = (value: number, work: string) => ({ value, unit: '1/s', stat: 'median' as const, n: RUNS, warmup: 1, model, work });
  const lat = (value: number, work: string) => ({ value, unit: 'ms', stat: 'p50' as const, n: LATENCY_N, warmup: 200, model, work });
  const decWork = `${DECISIONS.toLocaleString('en')} decisions (submit + pick + start) with 10,000 queued on one slot`;
  const latWork = 'submit-to-start with a free CPU slot while 10,000 tasks wait for a taken sandbox';
  writeResults({
    name: 'scheduler',
    engine: null,
    metrics: {
      decisions_per_s_10k_queued: { ...rate(percentile(heapRates, 50), `binary heap: ${decWork}`), goal: '>= 100000' },
      submit_to_start_p50_ms: { ...lat(percentile(heapLat, 50), `binary heap: ${latWork}`), goal: '<= 1 (+ sandbox acquire)' },
    },
    baselines: {
      sorted_array_decisions_per_s_10k_queued: rate(percentile(naiveRates, 50), `binary-insertion sorted array: ${decWork}`),
      sorted_array_submit_to_start_p50_ms: lat(percentile(naiveLat, 50), `binary-insertion sorted array: ${latWork}`),
    },
    ratios: [
      ['decisions/s heap / sorted array', 'decisions_per_s_10k_queued', 'sorted_array_decisions_per_s_10k_queued'],
      ['submit-to-start heap / sorted array', 'submit_to_start_p50_ms', 'sorted_array_submit_to_start_p50_ms'],
    ],
    notes: ['same Scheduler, only the ready queue differs; runs alternate so both see the same load'],
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
