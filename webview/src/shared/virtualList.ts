// A virtualised list of variable-height rows: only rows near the viewport are in the DOM; heights are measured as they render.
import { HeightIndex } from './virtualRange';

export interface VirtualListOptions<T> {
  container: HTMLElement;
  estimate: number;
  overscanPx?: number;
  key(item: T): string;
  /** Fills `el` for `item`; called on first render and whenever the item changes. */
  render(item: T, el: HTMLElement): void;
  /** Keep the view pinned to the bottom while new content arrives (chat). */
  stickToBottom?: boolean;
  onScroll?(scrollTop: number, atBottom: boolean): void;
}

export class VirtualList<T> {
  private items: T[] = [];
  private readonly heights: HeightIndex;
  private readonly rows = new Map<string, { el: HTMLElement; item: T; index: number }>();
  private readonly spacer = document.createElement('div');
  private frame = 0;
  private atBottom = true;
  /** The scrollTop the list itself set last: its own scroll events must not unpin the bottom (rows may grow meanwhile). */
  private ownTop = -1;
  private dirtyKeys = new Set<string>();
  /** Rows change height after they were measured (web components render their shadow DOM later, cards expand). */
  private readonly rowResize = new ResizeObserver(() => this.schedule());

  constructor(private readonly o: VirtualListOptions<T>) {
    this.heights = new HeightIndex(o.estimate);
    this.spacer.className = 'vl-spacer';
    this.spacer.setAttribute('aria-hidden', 'true');
    o.container.classList.add('vl');
    o.container.append(this.spacer);
    o.container.addEventListener(
      'scroll',
      () => {
        const c = o.container;
        if (Math.abs(c.scrollTop - this.ownTop) >= 1) this.atBottom = c.scrollHeight - c.scrollTop - c.clientHeight < 8;
        o.onScroll?.(c.scrollTop, this.atBottom);
        this.schedule();
      },
      { passive: true },
    );
    new ResizeObserver(() => this.schedule()).observe(o.container);
  }

  setItems(items: T[]): void {
    this.items = items;
    this.heights.setLength(items.length);
    for (const [k, row] of this.rows) {
      const i = row.index < items.length && this.o.key(items[row.index]!) === k ? row.index : -1;
      if (i < 0 || items[i] !== row.item) this.dirtyKeys.add(k);
    }
    this.schedule();
  }

  /** Marks one item as changed (e.g. streamed text appended) without diffing the whole list. */
  update(index: number, item: T): void {
    this.items[index] = item;
    this.dirtyKeys.add(this.o.key(item));
    this.schedule();
  }

  scrollToBottom(): void {
    this.atBottom = true;
    this.schedule();
  }

  scrollTo(top: number): void {
    this.o.container.scrollTop = top;
    this.ownTop = -1;
    this.schedule();
  }

  /** Renders synchronously (the next frame would otherwise do it). */
  flush(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.layout();
  }

  private schedule(): void {
    if (!this.frame)
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.layout();
      });
  }

  private layout(): void {
    const c = this.o.container;
    const stick = (this.o.stickToBottom ?? false) && this.atBottom;
    for (let pass = 0; pass < 3; pass++) {
      if (stick) this.pin();
      const { start, end } = this.heights.range(c.scrollTop, c.clientHeight || 600, this.o.overscanPx ?? 400);
      const keep = new Set<string>();
      for (let i = start; i < end; i++) {
        const item = this.items[i]!;
        const k = this.o.key(item);
        keep.add(k);
        let row = this.rows.get(k);
        if (!row) {
          const el = document.createElement('div');
          el.className = 'vl-row';
          el.setAttribute('role', 'listitem');
          this.o.render(item, el);
          c.append(el);
          this.rowResize.observe(el);
          row = { el, item, index: i };
          this.rows.set(k, row);
        } else if (this.dirtyKeys.has(k) || row.item !== item) {
          this.o.render(item, row.el);
          row.item = item;
        }
        row.index = i;
        row.el.setAttribute('aria-posinset', String(i + 1));
        row.el.setAttribute('aria-setsize', String(this.items.length));
      }
      for (const [k, row] of this.rows)
        if (!keep.has(k)) {
          this.rowResize.unobserve(row.el);
          row.el.remove();
          this.rows.delete(k);
        }
      this.dirtyKeys.clear();
      let changed = false;
      for (const row of this.rows.values()) changed = this.heights.set(row.index, row.el.offsetHeight) || changed;
      for (const row of this.rows.values()) row.el.style.transform = `translateY(${this.heights.offset(row.index)}px)`;
      this.spacer.style.height = `${this.heights.total()}px`;
      if (!changed) break;
    }
    if (stick) this.pin();
  }

  private pin(): void {
    const c = this.o.container;
    c.scrollTop = Math.max(0, this.heights.total() - c.clientHeight);
    this.ownTop = c.scrollTop;
  }
}
