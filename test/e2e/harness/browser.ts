// Debian's Chromium driven by playwright-core, in a throwaway profile.
import * as fs from 'node:fs';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { chromiumBinary, tempDir } from './env';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** A page whose console lines (printf-formatted, as DevTools shows them) are collected. */
export type E2EPage = Page & { consoleLines: string[]; consoleSettled(): Promise<void> };

export interface Browser {
  context: BrowserContext;
  newPage(): Promise<E2EPage>;
  close(): Promise<void>;
}

/**
 * Console format substitution: %c styles are dropped, %s/%d/%i/%f/%o/%O/%j take the next argument. The extension
 * host's lines arrive as ("%c INFO", style, "  %d passing (%s)", 4, "2s"): a format whose leftover arguments start
 * with another format, so leftovers are formatted again.
 */
export function printf(format: string, args: unknown[]): string {
  let k = 0;
  const out = format.replace(/%([csdifoOj%])/g, (all, c: string) => {
    if (c === '%') return '%';
    if (k >= args.length) return all;
    const v = args[k++];
    if (c === 'c') return '';
    return typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  });
  const rest = args.slice(k);
  const tail =
    typeof rest[0] === 'string' && /%[csdifoOj]/.test(rest[0])
      ? printf(rest[0], rest.slice(1))
      : rest.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ');
  return [out.replace(/^\s*INFO\s*$/, '').trim(), tail].filter(Boolean).join(' ').trimEnd();
}

const MAX_CONSOLE_LINES = 5000;

export async function launchBrowser(opts: { headless?: boolean } = {}): Promise<Browser> {
  const profile = tempDir('chromium');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumBinary(),
    headless: opts.headless ?? true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
  });
  // The persistent context opens one blank tab; keep it so the browser stays up between test pages.
  return {
    context,
    async newPage() {
      const page = (await context.newPage()) as E2EPage;
      const lines: string[] = (page.consoleLines = []);
      const pending = new Set<Promise<void>>();
      page.consoleSettled = async () => {
        await Promise.all([...pending]);
      };
      page.on('console', (m) => {
        if (lines.length >= MAX_CONSOLE_LINES) return;
        const i = lines.push(`[${m.type()}] ${m.text()}`) - 1;
        // The extension host's console arrives as printf-style arguments ("%c INFO ... %s"); format them like DevTools.
        const p = Promise.all(m.args().map((a) => a.jsonValue().catch(() => undefined)))
          .then((args) => {
            if (typeof args[0] === 'string') lines[i] = `[${m.type()}] ${printf(args[0], args.slice(1))}`;
          })
          .catch(() => undefined)
          .finally(() => pending.delete(p));
        pending.add(p);
      });
      return page;
    },
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
