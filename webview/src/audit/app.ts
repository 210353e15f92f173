// The Audit Log view: verification state, filters, a virtualised table over the kernel's pages, and entry details.
import type { AuditEntry, AuditFilter, AuditStats, AuditVerifyReport } from '../../../protocol/src/audit';
import { AUDIT_FIRST_ROW_MARK, type HostToWebview } from '../../../protocol/src/webview';
import { type Bridge } from '../shared/bridge';
import { escapeHtml } from '../shared/escape';
import { VirtualList } from '../shared/virtualList';
import { AuditPageCache } from './pageCache';
import { describeVerification, parseFilterForm, FILTER_FIELDS } from './format';

type ValueEl = HTMLElement & { value: string };
const ROW_HEIGHT = 24;

export class AuditApp {
  private readonly cache = new AuditPageCache();
  private readonly list: VirtualList<number>;
  private stats: AuditStats | null = null;
  private filter: AuditFilter;
  private selected = -1;
  private firstRowMarked = false;
  private readonly el: Record<'verify' | 'verifyBtn' | 'count' | 'table' | 'details' | 'banner' | 'form', HTMLElement>;

  constructor(
    root: HTMLElement,
    private readonly bridge: Bridge,
  ) {
    const saved = bridge.getState();
    this.filter = saved.filter ?? {};
    root.innerHTML = `
<div id="banner" class="banner" role="alert" hidden></div>
<section class="verify-bar"><div id="verify" role="status" aria-live="polite">Checking the audit log…</div>
  <vscode-button id="verifyBtn" title="Flush and check the whole hash chain against the signed head">Verify now</vscode-button></section>
<form id="form" class="filters" aria-label="Filters">
  ${FILTER_FIELDS.map((f) => `<vscode-textfield name="${f.name}" placeholder="${f.placeholder}" aria-label="${f.label}" value="${escapeHtml(String(this.filter[f.name as keyof AuditFilter] ?? ''))}"></vscode-textfield>`).join('')}
  <vscode-button type="submit" id="apply">Apply</vscode-button><vscode-button secondary id="clear">Clear</vscode-button>
</form>
<div class="table-head" role="row"><span>#</span><span>Time</span><span>Session</span><span>Subject</span><span>Action</span><span>Resource</span><span>Decision</span><span>Rules</span></div>
<div id="table" class="table" role="grid" aria-label="Audit entries" aria-readonly="true" tabindex="0"></div>
<div id="count" class="count" role="status"></div>
<section id="details" class="details" aria-label="Entry details" tabindex="-1"><p class="muted">Select an entry (arrow keys, Enter) to see its details.</p></section>`;
    const q = (id: string) => root.querySelector<HTMLElement>(`#${id}`)!;
    this.el = {
      verify: q('verify'),
      verifyBtn: q('verifyBtn'),
      count: q('count'),
      table: q('table'),
      details: q('details'),
      banner: q('banner'),
      form: q('form'),
    };
    this.list = new VirtualList<number>({
      container: this.el.table,
      estimate: ROW_HEIGHT,
      overscanPx: ROW_HEIGHT * 30,
      key: (i) => String(i),
      render: (i, row) => this.renderRow(i, row),
      onScroll: (top) => {
        this.bridge.setState({ scrollTop: top });
        this.fetchVisible();
      },
    });
    this.wire();
  }

  private wire(): void {
    this.el.verifyBtn.addEventListener('click', () => this.bridge.post({ type: 'audit/verify' }));
    const apply = () => {
      const values: Record<string, string> = {};
      for (const f of this.el.form.querySelectorAll<ValueEl>('vscode-textfield')) values[f.getAttribute('name')!] = f.value;
      const parsed = parseFilterForm(values);
      if (!parsed.ok) {
        this.showBanner(parsed.error);
        return;
      }
      this.showBanner(null);
      this.filter = parsed.filter;
      this.bridge.setState({ filter: this.filter, scrollTop: 0 });
      this.restart();
    };
    this.el.form.addEventListener('submit', (e) => {
      e.preventDefault();
      apply();
    });
    this.el.form.addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Enter') {
        e.preventDefault();
        apply();
      }
    });
    this.el.form.querySelector('#apply')!.addEventListener('click', apply);
    this.el.form.querySelector('#clear')!.addEventListener('click', () => {
      for (const f of this.el.form.querySelectorAll<ValueEl>('vscode-textfield')) f.value = '';
      apply();
    });
    this.el.table.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('[data-row]');
      if (row) this.select(Number(row.dataset.row));
    });
    this.el.table.addEventListener('keydown', (e) => {
      const page = Math.max(1, Math.floor(this.el.table.clientHeight / ROW_HEIGHT) - 1);
      const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, Home: -Infinity, End: Infinity };
      if (e.key in moves) {
        e.preventDefault();
        const n = this.cache.rowCount();
        this.select(Math.max(0, Math.min(n - 1, (this.selected < 0 ? -1 : this.selected) + moves[e.key]!)));
      } else if (e.key === 'Enter' && this.selected >= 0) {
        this.el.details.focus();
      }
    });
  }

  handle(m: HostToWebview): void {
    switch (m.type) {
      case 'audit/stats':
        this.stats = m.stats;
        this.showBanner(m.unavailable);
        if (m.stats)
          this.el.verify.innerHTML = `${m.stats.verification ? 'Last check: ' : ''}${describeVerification(m.stats.verification, false, m.stats)}`;
        else this.el.verify.textContent = m.unavailable ?? '';
        this.restart(this.bridge.getState().scrollTop, m.newest?.entries);
        break;
      case 'audit/page': {
        const range = this.cache.receive(m.requestId, m.entries, m.nextCursor);
        if (!range) return;
        this.list.setItems(this.indexes());
        for (let i = range.start; i < range.end; i++) this.list.update(i, i);
        this.updateCount();
        this.fetchVisible();
        break;
      }
      case 'audit/verification':
        this.el.verify.innerHTML = describeVerification(m.report, m.running, this.stats);
        if (!m.running) this.bridge.post({ type: 'audit/refresh' });
        break;
      case 'audit/entry':
        this.renderDetails(m.entry);
        break;
      case 'error':
        if (m.requestId !== undefined) this.cache.fail(m.requestId);
        this.showBanner(`${m.error.message}${m.error.hint ? ` — ${m.error.hint}` : ''}`);
        break;
      case 'chat/snapshot':
      case 'chat/ops':
      case 'chat/insert':
      case 'chat/focus':
      case 'chat/fileSuggestions':
        break;
      default: {
        const never: never = m;
        return never;
      }
    }
  }

  /** Starts the table over (new stats or filter); `newest`: page 0 of the unfiltered table, read with the stats. */
  private restart(scrollTop = 0, newest?: AuditEntry[]): void {
    this.cache.reset(this.filter, this.stats);
    if (newest) this.cache.seed(newest);
    this.selected = -1;
    this.list.setItems(this.indexes());
    this.list.scrollTo(scrollTop);
    this.updateCount();
    this.fetchVisible();
  }

  private indexes(): number[] {
    return Array.from({ length: this.cache.rowCount() }, (_, i) => i);
  }

  private fetchVisible(): void {
    const t = this.el.table;
    const start = Math.floor(t.scrollTop / ROW_HEIGHT);
    const end = start + Math.ceil((t.clientHeight || 600) / ROW_HEIGHT) + 30;
    for (const request of this.cache.want(Math.max(0, start - 30), end)) this.bridge.post({ type: 'audit/query', request });
  }

  private renderRow(i: number, row: HTMLElement): void {
    const e = this.cache.row(i);
    row.dataset.row = String(i);
    row.setAttribute('role', 'row');
    row.classList.toggle('selected', i === this.selected);
    row.setAttribute('aria-selected', String(i === this.selected));
    row.style.height = `${ROW_HEIGHT}px`;
    if (!e) {
      row.innerHTML = `<span class="muted">${this.cache.done ? '' : 'loading…'}</span>`;
      return;
    }
    // The first entry on screen, on the page's clock: bench/ux.ts reads it (the frame does not exist before the click).
    if (!this.firstRowMarked) ((this.firstRowMarked = true), performance.mark(AUDIT_FIRST_ROW_MARK));
    const cells = [
      String(e.seq),
      new Date(e.time).toISOString().replace('T', ' ').slice(0, 23),
      e.session ?? '',
      e.subject,
      e.action,
      e.resource,
      e.decision ?? '',
      e.ruleIds.join(', '),
    ];
    row.innerHTML = cells
      .map(
        (c, k) =>
          `<span role="gridcell" class="c${k}${k === 6 ? ` d-${escapeHtml(c)}` : ''}" title="${escapeHtml(c)}">${escapeHtml(c)}</span>`,
      )
      .join('');
  }

  private select(i: number): void {
    const prev = this.selected;
    this.selected = i;
    if (prev >= 0) this.list.update(prev, prev);
    this.list.update(i, i);
    const top = i * ROW_HEIGHT,
      t = this.el.table;
    if (top < t.scrollTop) t.scrollTop = top;
    else if (top + ROW_HEIGHT > t.scrollTop + t.clientHeight) t.scrollTop = top + ROW_HEIGHT - t.clientHeight;
    const e = this.cache.row(i);
    t.setAttribute('aria-activedescendant', '');
    if (e) {
      this.renderDetails(e);
      this.bridge.post({ type: 'audit/entry', seq: e.seq });
      this.bridge.setState({ selectedSeq: e.seq });
    }
  }

  private renderDetails(e: AuditEntry | null): void {
    if (!e) {
      this.el.details.innerHTML = '<p class="muted">That entry is no longer in the log (pruned by retention?).</p>';
      return;
    }
    const rows: [string, string][] = [
      ['Sequence', String(e.seq)],
      ['Time', new Date(e.time).toISOString()],
      ['Session', e.session ?? '—'],
      ['Subject', e.subject],
      ['Action', e.action],
      ['Resource', e.resource || '—'],
      ['Decision', e.decision ?? '—'],
      ['Rules', e.ruleIds.join(', ') || '—'],
      ['Payload digest', e.payloadDigest],
      ['Previous hash', e.prevHash],
      ['Hash', e.hash],
    ];
    this.el.details.innerHTML = `<h3>Entry #${e.seq}</h3><dl>${rows.map(([k, v]) => `<dt>${k}</dt><dd class="mono">${escapeHtml(v)}</dd>`).join('')}</dl>
<h4>Payload</h4><pre class="mono payload">${e.payload === null || e.payload === undefined ? 'not loaded or kept only as its digest' : escapeHtml(JSON.stringify(e.payload, null, 2))}</pre>`;
  }

  private updateCount(): void {
    const n = this.cache.rowCount();
    this.el.count.textContent = this.cache.done
      ? `${n.toLocaleString('en-US')} entries`
      : `${(n - 1).toLocaleString('en-US')} matching entries loaded, more on scroll`;
  }

  private showBanner(text: string | null): void {
    this.el.banner.hidden = !text;
    this.el.banner.textContent = text ?? '';
  }
}

export type { AuditVerifyReport };
