// UX bench's page probes: page-clock marks (mousedown/Enter → a selector shown) and the frames it reads them from.
import type { Frame } from 'playwright-core';
import { AUDIT_FIRST_ROW_MARK as FIRST_ROW_MARK } from '../protocol/src/webview';
import type { ChatRig } from '../test/e2e/chatRig';
import { waitFor } from '../test/e2e/harness';

/**
 * Page-side clocks (performance.timeOrigin + now(), the machine's wall clock in every frame): the last mousedown or
 * Enter, and for each named probe the first animation frame after a DOM change at which its selector (and text) shows.
 * A probe with `after` matches the text of the element's ::after box (an editor decoration's text lives there).
 * Installed as text: tsx's transform would inject helpers the page does not have.
 */
const PROBES = String.raw`(() => {
  if (window.__ux) return;
  const now = () => performance.timeOrigin + performance.now();
  const ux = window.__ux = { down: 0, enter: 0, probes: [], marks: {}, hears: [], heard: {} };
  document.addEventListener('mousedown', () => { ux.down = now(); }, true);
  document.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) ux.enter = now(); }, true);
  // A message from the host (the chat's ops) that carries a text: when it arrived here, and the host's sentAt.
  window.addEventListener('message', (e) => {
    if (!ux.hears.length) return;
    const t = now();
    let text;
    try { text = JSON.stringify(e.data); } catch { return; }
    for (const h of ux.hears) if (!ux.heard[h.name] && text.includes(h.text)) ux.heard[h.name] = { at: t, sentAt: e.data && e.data.sentAt || 0 };
  }, true);
  let queued = false;
  const check = () => {
    queued = false;
    const t = now();
    for (const p of ux.probes) {
      if (ux.marks[p.name]) continue;
      const re = p.text ? new RegExp(p.text) : null;
      for (const el of document.querySelectorAll(p.selector)) {
        const text = p.after ? getComputedStyle(el, '::after').content : el.textContent;
        if (!re || re.test(text || '')) { ux.marks[p.name] = t; break; }
      }
    }
  };
  new MutationObserver(() => { if (!queued && ux.probes.length) { queued = true; requestAnimationFrame(check); } })
    .observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
})()`;

export async function install(f: Frame | ChatRig['page']): Promise<void> {
  await f.evaluate(PROBES);
}
export async function watch(f: Frame | ChatRig['page'], name: string, selector: string, text?: string, after = false): Promise<void> {
  await f.evaluate(
    `window.__ux.probes.push(${JSON.stringify({ name, selector, text, after })}); delete window.__ux.marks[${JSON.stringify(name)}]`,
  );
}
export async function mark(f: Frame | ChatRig['page'], name: string, what: string, timeoutMs = 60_000): Promise<number> {
  return waitFor(
    what,
    async () => ((await f.evaluate(`window.__ux.marks[${JSON.stringify(name)}] || 0`)) as number) || undefined,
    timeoutMs,
    20,
  );
}
/** Watches for the first host message holding `text` (see PROBES); `heard` then says when it came and when it was sent. */
export async function hear(f: Frame | ChatRig['page'], name: string, text: string): Promise<void> {
  await f.evaluate(`window.__ux.hears.push(${JSON.stringify({ name, text })}); delete window.__ux.heard[${JSON.stringify(name)}]`);
}
export const heard = (f: Frame | ChatRig['page'], name: string) =>
  f.evaluate(`window.__ux.heard[${JSON.stringify(name)}] || null`) as Promise<{ at: number; sentAt: number } | null>;
export const stamp = (f: Frame | ChatRig['page'], which: 'down' | 'enter') => f.evaluate(`window.__ux.${which}`) as Promise<number>;

/**
 * An audit entry's row on screen: in the webview's active document (a pending one is loaded hidden) and in a webview
 * the workbench shows (a view kept while hidden still has its rows, but its frame is hidden).
 */
export async function auditRowsOnScreen(page: ChatRig['page']): Promise<boolean> {
  for (const f of page.frames()) {
    if (
      !(await f
        .locator('#table .vl-row [role=gridcell]')
        .first()
        .isVisible()
        .catch(() => false))
    )
      continue;
    const inner = await f.frameElement().catch(() => null);
    const outer = await f
      .parentFrame()
      ?.frameElement()
      .catch(() => null);
    if (inner && outer && (await inner.isVisible()) && (await outer.isVisible())) return true;
  }
  return false;
}

/**
 * The first open's stages on the page clock (mousedown on the palette row → ...): the view's content frame made (its
 * navigation starts), its document answered (code-server's webview service worker, registered anew for each webview),
 * and the first entry's row in the DOM (the webview's own mark, webview/src/audit/app.ts).
 */
export async function firstOpenStages(page: ChatRig['page']): Promise<{ frame: number; document: number; row: number }> {
  const down = await stamp(page, 'down');
  for (const f of page.frames()) {
    const at = (await f
      .evaluate(
        `(() => { const m = performance.getEntriesByName(${JSON.stringify(FIRST_ROW_MARK)})[0]; if (!m) return null;
          const nav = performance.getEntriesByType('navigation')[0], o = performance.timeOrigin;
          return { frame: o, document: o + (nav ? nav.responseEnd : 0), row: o + m.startTime }; })()`,
      )
      .catch(() => null)) as { frame: number; document: number; row: number } | null;
    if (at) return { frame: at.frame - down, document: at.document - down, row: at.row - down };
  }
  throw new Error('no Audit Log frame has its first-row mark');
}

export async function chatFrame(rig: ChatRig): Promise<Frame> {
  return waitFor(
    'the chat frame',
    async () => {
      for (const f of rig.page.frames()) if (await f.evaluate('!!document.getElementById("log")').catch(() => false)) return f;
      return undefined;
    },
    30_000,
  );
}

/**
 * The webview ↔ extension host round trip with no Airlock work in it: a mode change in the chat (the page posts
 * chat/setMode; the host stores the mode and answers with one small chat/ops message), from the select's change in the
 * page to that answer in the page, split by the answer's sentAt (host clock, ms). `n` even: the session ends in the
 * mode it had.
 */
export async function webviewRoundTrips(cf: Frame, n: number): Promise<{ trips: number[]; up: number[]; down: number[] }> {
  const trips: number[] = [];
  const up: number[] = [];
  const down: number[] = [];
  const startMode = (await cf.evaluate(`document.getElementById('mode').value`)) as string;
  for (let i = 0; i < n; i++) {
    const to = i % 2 === 0 ? (startMode === 'explore' ? 'debug' : 'explore') : startMode;
    await hear(cf, `mode${i}`, `{"type":"mode","mode":"${to}"}`);
    const sent = (await cf.evaluate(
      `(() => { const el = document.getElementById('mode'); el.value = ${JSON.stringify(to)}; const t = performance.timeOrigin + performance.now(); el.dispatchEvent(new Event('change')); return t; })()`,
    )) as number;
    const got = await waitFor(`mode change ${i} answered`, async () => (await heard(cf, `mode${i}`)) ?? undefined, 10_000, 5);
    trips.push(got.at - sent);
    up.push(got.sentAt - sent);
    down.push(got.at - got.sentAt);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { trips, up, down };
}
