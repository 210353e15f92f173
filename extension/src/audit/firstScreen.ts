// The Audit Log's first screen, asked of the kernel while its webview loads (stats, newest page); the check on reopening.
import type { AuditPage, AuditStats, AuditVerifyReport } from '../../../protocol/src/audit';
import type { AuditQueryRequest } from '../../../protocol/src/webview';

/** The table's page size (webview/src/audit/pageCache.ts PAGE_SIZE): only a query of this size is answered early. */
export const FIRST_PAGE = 200;

/** What the first screen reads of the kernel (audit/stats, and audit/query descending without payloads). */
export interface AuditReader {
  stats(): Promise<AuditStats>;
  newest(cursor: number, limit: number): Promise<AuditPage>;
}

/**
 * The webview takes hundreds of ms to load; the two round trips it would start only once loaded (stats, then the page
 * the unfiltered table asks for first: descending from the last entry) run meanwhile. Each answer is used once, by
 * that first load: the page only for exactly the query it answers, and only with the stats it was read with. Anything
 * else (a filter, a scroll, a reload, a failure) goes to the kernel as before.
 */
export class AuditFirstScreen {
  private early: Promise<{ stats: AuditStats; page?: Promise<AuditPage> } | undefined> | undefined;
  private shown: { stats: AuditStats; page?: Promise<AuditPage> } | undefined;

  constructor(read: AuditReader, onError: (err: unknown) => void) {
    this.early = (async () => {
      const stats = await read.stats();
      const page = stats.entries > 0 ? read.newest(stats.lastSeq + 1, FIRST_PAGE) : undefined;
      page?.catch(() => undefined); // its failure is for the webview's own query to meet (it asks the kernel again)
      return { stats, page };
    })().catch((err: unknown) => {
      onError(err);
      return undefined;
    });
  }

  /** The stats read as the panel opened, once (undefined: read them now). */
  async stats(): Promise<AuditStats | undefined> {
    const e = this.early && (await this.early);
    this.early = undefined;
    this.shown = e;
    return e?.stats;
  }

  /** The page read with the stats shown, once, if `r` is exactly its query; else undefined (ask the kernel). */
  async page(r: AuditQueryRequest): Promise<AuditPage | undefined> {
    const e = this.shown;
    this.shown = undefined;
    const unfiltered = Object.values(r.filter).every((v) => v === undefined || v === '');
    if (!e?.page || !unfiltered || r.limit !== FIRST_PAGE || r.cursor !== e.stats.lastSeq + 1) return undefined;
    return e.page.catch(() => undefined);
  }
}

/**
 * Whether the view shown again (the Panel reopened) checks the chain again: a check reads the whole chain (seconds of
 * the kernel's CPU on a large log), and a kept view would run one at every Panel toggle. Not when this view's last check
 * found the chain intact up to the entry the log still ends at; a log that grew, a tampered or unusable result, no
 * check yet or no stats: check. Opening or reloading the view always checks (auditController.ts).
 */
export function checkOnShow(last: AuditVerifyReport | undefined, stats: Pick<AuditStats, 'lastSeq'> | undefined): boolean {
  return !last || last.type !== 'intact' || !stats || stats.lastSeq !== last.lastSeq;
}
