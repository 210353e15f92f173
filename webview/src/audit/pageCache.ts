// Which audit entries are loaded and which pages to ask for: random access by sequence number when unfiltered, paging in order when filtered.
import type { AuditEntry, AuditFilter } from '../../../protocol/src/audit';
import type { AuditQueryRequest } from '../../../protocol/src/webview';

export const PAGE_SIZE = 200;

type Mode = { type: 'indexed'; lastSeq: number; total: number } | { type: 'sequential' };

export class AuditPageCache {
  private mode: Mode = { type: 'sequential' };
  private filter: AuditFilter = {};
  /** indexed: page number → entries; sequential: page 0.. in order. */
  private pages = new Map<number, AuditEntry[]>();
  private inflight = new Map<number, number>();
  private nextRequestId = 1;
  private nextCursor: number | undefined;
  private exhausted = false;
  /** indexed: entries loaded before the last reset, by sequence number (rows show them until their page is asked again). */
  private kept = new Map<number, AuditEntry>();

  /**
   * Starts over for a filter; with no filter and known stats every row can be addressed directly. Unfiltered to
   * unfiltered (new stats as the view is shown again) keeps the entries it has by sequence number: an entry never changes,
   * so the rows on screen stay while their pages are asked for again (no flash of "loading…"); each page replaces them.
   */
  reset(filter: AuditFilter, stats: { lastSeq: number; entries: number } | null): void {
    const unfiltered = Object.values(filter).every((v) => v === undefined || v === '');
    const next: Mode = unfiltered && stats ? { type: 'indexed', lastSeq: stats.lastSeq, total: stats.entries } : { type: 'sequential' };
    // A log that shrank at its tail is not the one these entries came from (reset): nothing is kept.
    const same = this.mode.type === 'indexed' && next.type === 'indexed' && next.lastSeq >= this.mode.lastSeq;
    const kept = same ? this.keptBySeq() : new Map<number, AuditEntry>();
    this.filter = filter;
    this.mode = next;
    this.pages.clear();
    this.inflight.clear();
    this.nextCursor = undefined;
    this.exhausted = unfiltered && !!stats && stats.entries === 0;
    this.kept = kept;
  }

  /**
   * The newest page read with the stats of the last reset (descending from their lastSeq): page 0 of the unfiltered
   * table, exactly what want() would ask for first. A filtered table asks for its own.
   */
  seed(entries: AuditEntry[]): void {
    if (this.mode.type !== 'indexed') return;
    this.pages.set(0, entries);
    for (const e of entries) this.kept.delete(e.seq);
  }

  /** Rows the table shows: every entry when indexed, the loaded ones (plus one loading row) when filtered. */
  rowCount(): number {
    if (this.mode.type === 'indexed') return this.mode.total;
    let n = 0;
    for (const p of this.pages.values()) n += p.length;
    return n + (this.exhausted ? 0 : 1);
  }

  get done(): boolean {
    return this.mode.type === 'indexed' || this.exhausted;
  }

  row(i: number): AuditEntry | undefined {
    const e = this.pages.get(Math.floor(i / PAGE_SIZE))?.[i % PAGE_SIZE];
    if (e || this.mode.type !== 'indexed' || i >= this.mode.total) return e;
    return this.kept.get(this.mode.lastSeq - i);
  }

  /** Every entry loaded in indexed mode (pages and what was kept), by sequence number. */
  private keptBySeq(): Map<number, AuditEntry> {
    const out = new Map(this.kept);
    for (const page of this.pages.values()) for (const e of page) out.set(e.seq, e);
    return out;
  }

  /** Requests needed to show rows [start, end); each page is asked for once. */
  want(start: number, end: number): AuditQueryRequest[] {
    const out: AuditQueryRequest[] = [];
    const first = Math.floor(start / PAGE_SIZE),
      last = Math.floor(Math.max(start, end - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) {
      if (this.pages.has(p) || [...this.inflight.values()].includes(p)) continue;
      if (this.mode.type === 'indexed') {
        const top = this.mode.lastSeq - p * PAGE_SIZE;
        if (p * PAGE_SIZE >= this.mode.total || top < 1) continue;
        out.push(this.request(p, top + 1));
      } else {
        // In order only: page p needs page p-1's cursor.
        if (this.exhausted || p !== this.pages.size || this.inflight.size) break;
        out.push(this.request(p, p === 0 ? undefined : this.nextCursor));
      }
    }
    return out;
  }

  /** Stores a page; returns the row range it filled, or undefined for a stale or unknown response. */
  receive(requestId: number, entries: AuditEntry[], nextCursor: number | undefined): { start: number; end: number } | undefined {
    const p = this.inflight.get(requestId);
    if (p === undefined) return undefined;
    this.inflight.delete(requestId);
    this.pages.set(p, entries);
    for (const e of entries) this.kept.delete(e.seq);
    if (this.mode.type === 'sequential') {
      this.nextCursor = nextCursor;
      if (nextCursor === undefined || entries.length === 0) this.exhausted = true;
    }
    return { start: p * PAGE_SIZE, end: p * PAGE_SIZE + entries.length };
  }

  /** A request failed: forget it so it can be asked again. */
  fail(requestId: number): void {
    this.inflight.delete(requestId);
  }

  private request(page: number, cursor: number | undefined): AuditQueryRequest {
    const requestId = this.nextRequestId++;
    this.inflight.set(requestId, page);
    return { requestId, filter: this.filter, cursor, limit: PAGE_SIZE };
  }
}
