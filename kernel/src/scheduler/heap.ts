// Binary min-heap with O(log n) push/pop/remove: the scheduler's ready queue.
export interface HeapItem {
  /** Position in the heap, -1 when not in it; maintained by the heap so remove() is O(log n). */
  heapIndex: number;
}

/** The ready-queue contract, so a benchmark can swap in a naive baseline on the same scheduler. */
export interface IReadyQueue<T extends HeapItem> {
  readonly size: number;
  push(item: T): void;
  pop(): T | undefined;
  peek(): T | undefined;
  remove(item: T): boolean;
  values(): Iterable<T>;
}

export class MinHeap<T extends HeapItem> implements IReadyQueue<T> {
  private readonly items: T[] = [];

  /** `less(a, b)` is true when a must come out before b; it must be a strict total order. */
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.up(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top) this.removeAt(0);
    return top;
  }

  remove(item: T): boolean {
    const i = item.heapIndex;
    if (i < 0 || this.items[i] !== item) return false;
    this.removeAt(i);
    return true;
  }

  values(): Iterable<T> {
    return this.items;
  }

  private removeAt(i: number): void {
    const items = this.items;
    const removed = items[i];
    const last = items.pop()!;
    removed.heapIndex = -1;
    if (i === items.length) return;
    items[i] = last;
    last.heapIndex = i;
    // The moved element may belong above or below its new slot.
    if (i > 0 && this.less(last, items[(i - 1) >> 1])) this.up(i);
    else this.down(i);
  }

  private up(i: number): void {
    const items = this.items;
    const item = items[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p];
      if (!this.less(item, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = item;
    item.heapIndex = i;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(items[r], items[l]) ? r : l;
      if (!this.less(items[c], item)) break;
      items[i] = items[c];
      items[i].heapIndex = i;
      i = c;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
