// The Audit Log's first screen, asked of the kernel as its webview is made (stats, newest page); the check on reopening.
import type { AuditPage, AuditStats, AuditVerifyReport } from '../../../protocol/src/audit';

/** The table's page size (webview/src/audit/pageCache.ts PAGE_SIZE): the newest page is the table's page 0. */
export const FIRST_PAGE = 200;

/** What the first screen reads of the kernel (audit/stats, and audit/query descending without payloads). */
export interface AuditReader {
  stats(): Promise<AuditStats>;
  newest(cursor: number, limit: number): Promise<AuditPage>;
}

/** Stats and, when the log has entries and they could be read, the newest page read with them (from stats.lastSeq). */
export interface FirstRead {
  stats: AuditStats;
  newest?: AuditPage;
}

/**
 * The two reads the view would start only once loaded (stats, then the page the unfiltered table shows first) run as
 * the view is made. Their result is used once: in the page's HTML when it is there in time (`within`), else in the
 * answer to the page's ready handshake (`take`). A failure of the page only leaves it out (the table asks for it); a
 * failure of the stats is reported and the handshake asks the kernel again.
 */
export class AuditFirstScreen {
  private early: Promise<FirstRead | undefined> | undefined;

  constructor(read: AuditReader, onError: (err: unknown) => void) {
    this.early = (async () => {
      const stats = await read.stats();
      if (stats.entries === 0) return { stats };
      const newest = await read.newest(stats.lastSeq + 1, FIRST_PAGE).catch(() => undefined);
      return newest ? { stats, newest } : { stats };
    })().catch((err: unknown) => {
      onError(err);
      return undefined;
    });
  }

  /** The read if it is done within `ms` (then it is used: take() says undefined); else undefined, and it stays for take(). */
  async within(ms: number): Promise<FirstRead | undefined> {
    const early = this.early;
    if (!early) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
    const r = await Promise.race([early, late]).finally(() => clearTimeout(timer));
    if (r === 'late' || !r) return undefined;
    this.early = undefined;
    return r;
  }

  /** The read, once (undefined: used already, or it failed; ask the kernel now). */
  async take(): Promise<FirstRead | undefined> {
    const e = this.early && (await this.early);
    this.early = undefined;
    return e;
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
