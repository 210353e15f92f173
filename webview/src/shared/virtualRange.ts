// Pure geometry of a virtualised list with measured heights: offsets, the visible range, total height.

export class HeightIndex {
  private heights: number[] = [];
  private offsets = new Float64Array(1);
  private dirtyFrom = 0;

  constructor(private readonly estimate: number) {}

  get length(): number {
    return this.heights.length;
  }

  setLength(n: number): void {
    if (n === this.heights.length) return;
    const old = this.heights.length;
    if (n < old) this.heights.length = n;
    else for (let i = old; i < n; i++) this.heights.push(this.estimate);
    this.dirtyFrom = Math.min(this.dirtyFrom, Math.min(old, n));
  }

  /** Records a measured height; returns whether it changed. */
  set(i: number, h: number): boolean {
    if (i < 0 || i >= this.heights.length || this.heights[i] === h) return false;
    this.heights[i] = h;
    this.dirtyFrom = Math.min(this.dirtyFrom, i);
    return true;
  }

  get(i: number): number {
    return this.heights[i] ?? this.estimate;
  }

  /** Top offset of item i (i = length gives the total height). */
  offset(i: number): number {
    this.refresh();
    return this.offsets[Math.max(0, Math.min(i, this.heights.length))]!;
  }

  total(): number {
    return this.offset(this.heights.length);
  }

  /** Index of the item covering y (clamped). Binary search over the offsets. */
  indexAt(y: number): number {
    this.refresh();
    const n = this.heights.length;
    if (n === 0) return 0;
    let lo = 0,
      hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid]! <= y) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Items to render for a viewport: [start, end), with `overscan` pixels above and below. */
  range(scrollTop: number, viewport: number, overscan: number): { start: number; end: number } {
    const n = this.heights.length;
    if (n === 0) return { start: 0, end: 0 };
    const start = this.indexAt(Math.max(0, scrollTop - overscan));
    const end = Math.min(n, this.indexAt(scrollTop + viewport + overscan) + 1);
    return { start, end };
  }

  private refresh(): void {
    const n = this.heights.length;
    if (this.offsets.length < n + 1) {
      const grown = new Float64Array(Math.max(n + 1, this.offsets.length * 2));
      grown.set(this.offsets.subarray(0, this.dirtyFrom + 1));
      this.offsets = grown;
    }
    if (this.dirtyFrom >= n + 1) return;
    for (let i = this.dirtyFrom; i < n; i++) this.offsets[i + 1] = this.offsets[i]! + this.heights[i]!;
    this.dirtyFrom = n + 1;
  }
}
