// Fairness: one ageing ready queue per set of resource kinds, offered most urgent first; a blocked head reserves its kinds.
import { type IReadyQueue, MinHeap } from './heap';
import { lessByKey, type TaskRecord } from './record';
import { RESOURCE_NAMES } from './types';

export type QueueFactory = (less: (a: TaskRecord, b: TaskRecord) => boolean) => IReadyQueue<TaskRecord>;

const QUEUES = 1 << RESOURCE_NAMES.length;

/** One queue per resource mask, so a blocked head excludes whole queues in O(1). */
export class ReadyQueues {
  private readonly queues: IReadyQueue<TaskRecord>[];

  constructor(make?: QueueFactory) {
    this.queues = Array.from({ length: QUEUES }, () => (make ? make(lessByKey) : new MinHeap(lessByKey)));
  }

  get size(): number {
    return this.queues.reduce((n, q) => n + q.size, 0);
  }

  push(rec: TaskRecord): void {
    this.queues[rec.mask].push(rec);
  }

  remove(rec: TaskRecord): void {
    this.queues[rec.mask].remove(rec);
  }

  /**
   * Offers the most urgent queued task to `fit` until none is left: one that fits (what it needs is `fit`'s answer)
   * leaves its queue, then `start` runs it. A head that
   * cannot start reserves the resource kinds it needs: every queue needing one of them waits too, so smaller tasks never
   * backfill what a more urgent one is waiting for (that is what keeps the ageing bound true). At most QUEUES rounds block.
   */
  offer<Need>(fit: (head: TaskRecord) => Need | undefined, start: (head: TaskRecord, need: Need) => void): void {
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
      const need = fit(best);
      if (need !== undefined) {
        // Out of its queue before it starts: work that finishes synchronously must not find it queued.
        this.queues[best.mask].pop();
        start(best, need);
        continue;
      }
      reserved |= best.mask;
      excluded |= 1 << best.mask;
      for (let m = 0; m < QUEUES; m++) if (m & reserved) excluded |= 1 << m;
    }
  }
}
