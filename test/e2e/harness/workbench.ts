// Driving the VS Code workbench in the page: open, command palette, status bar, notifications, webviews, screenshots.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { AirlockError } from '../../../protocol/src/errors';
import type { Browser, E2EPage } from './browser';
import { ARTIFACTS_DIR, sleep, waitFor } from './env';

const PALETTE_INPUT = '.quick-input-widget .quick-input-box input';
const PALETTE_ROW = '.quick-input-widget .quick-input-list .monaco-list-row';
const STATUS_ITEM = '#workbench\\.parts\\.statusbar .statusbar-item';

/** Navigates to a workbench URL and waits until the workbench and its status bar are up. */
export async function openWorkbench(page: Page, url: string, timeoutMs = 30_000): Promise<void> {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator(STATUS_ITEM).first().waitFor({ state: 'visible', timeout: timeoutMs });
}

/**
 * Runs a command by its palette title ("Category: Title"). Contributed commands only show up once the
 * extension host has scanned extensions, so a missing row is retried until the deadline.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    await closeQuickInput(page);
    await page.keyboard.press('F1');
    const input = page.locator(PALETTE_INPUT);
    await input.waitFor({ state: 'visible', timeout: 5000 });
    await input.fill(`>${title}`);
    const row = page
      .locator(PALETTE_ROW)
      .filter({ has: page.locator('.label-name', { hasText: exactText(title) }) })
      .first();
    try {
      await row.waitFor({ state: 'visible', timeout: 1500 });
      await row.click();
      // The palette closes; a command that asks something (Switch Mode's pick) may reopen the same widget at once, so
      // "the palette no longer holds the command" is the sign, not "the widget is hidden" (which could be never).
      await waitFor(
        `the palette to take "${title}"`,
        async () =>
          (await input.isVisible().catch(() => false)) && (await input.inputValue().catch(() => '')) === `>${title}` ? undefined : true,
        5000,
        50,
      );
      return;
    } catch (e) {
      if (Date.now() > end) {
        const rows = await page
          .locator(PALETTE_ROW)
          .allInnerTexts()
          .catch(() => []);
        await closeQuickInput(page);
        throw new AirlockError(
          'E2E_COMMAND_NOT_FOUND',
          `command "${title}" not in the palette after ${timeoutMs} ms (rows: ${rows.join(' | ') || 'none'})`,
          `${(e as Error).message}`,
        );
      }
      await sleep(500);
    }
  }
}

async function closeQuickInput(page: Page): Promise<void> {
  if (
    await page
      .locator(PALETTE_INPUT)
      .isVisible()
      .catch(() => false)
  ) {
    await page.keyboard.press('Escape');
    await page
      .locator(PALETTE_INPUT)
      .waitFor({ state: 'hidden', timeout: 2000 })
      .catch(() => undefined);
  }
}

function exactText(s: string): RegExp {
  return new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

/** Opens a workspace file in an editor through Quick Open (Ctrl+P) and waits for its tab. */
export async function openFile(page: Page, relativePath: string, timeoutMs = 15_000): Promise<void> {
  await closeQuickInput(page);
  await page.keyboard.press('Control+P');
  const input = page.locator(PALETTE_INPUT);
  await input.waitFor({ state: 'visible', timeout: 5000 });
  await input.fill(relativePath);
  const name = path.posix.basename(relativePath);
  const row = page
    .locator(PALETTE_ROW)
    .filter({ has: page.locator('.label-name', { hasText: exactText(name) }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click();
  await page.locator('.tabs-container .tab', { hasText: name }).first().waitFor({ state: 'visible', timeout: timeoutMs });
}

export interface StatusBarItem {
  id: string;
  text: string;
  ariaLabel: string;
}

/** All status bar items as shown: element id (extension items are `publisher.name.itemId`), visible text, aria label. */
export async function statusBarItems(page: Page): Promise<StatusBarItem[]> {
  return page.locator(STATUS_ITEM).evaluateAll((els) =>
    els.map((el) => ({
      id: el.id,
      text: (el as HTMLElement).innerText.trim(),
      ariaLabel: el.querySelector('[aria-label]')?.getAttribute('aria-label') ?? el.getAttribute('aria-label') ?? '',
    })),
  );
}

/** The status bar item whose id ends with `match` or whose text contains it; undefined when none. */
export async function readStatusBar(page: Page, match: string | RegExp): Promise<StatusBarItem | undefined> {
  const items = await statusBarItems(page);
  return items.find((i) =>
    typeof match === 'string'
      ? i.id === match || i.id.endsWith(`.${match}`) || i.text.includes(match)
      : match.test(i.text) || match.test(i.id),
  );
}

/** Waits until the item matching `match` shows text matching `text`; returns it. */
export async function waitForStatusBar(page: Page, match: string | RegExp, text: RegExp, timeoutMs = 30_000): Promise<StatusBarItem> {
  let seen: StatusBarItem | undefined;
  try {
    return await waitFor(
      `status bar ${match} to show ${text}`,
      async () => {
        seen = await readStatusBar(page, match);
        return seen && text.test(seen.text) ? seen : undefined;
      },
      timeoutMs,
    );
  } catch (e) {
    throw new AirlockError('E2E_STATUS_BAR', `${(e as Error).message}; last seen: ${seen ? JSON.stringify(seen) : 'no such item'}`);
  }
}

/** Names in the status bar's context menu (one per entry, e.g. an extension item's `name`); the menu is closed again. */
export async function statusBarEntryNames(page: Page): Promise<string[]> {
  await page.locator(STATUS_ITEM).first().click({ button: 'right' });
  const labels = page.locator('.context-view .monaco-menu .action-item .action-label');
  await labels.first().waitFor({ state: 'visible', timeout: 5000 });
  const names = (await labels.allInnerTexts()).map((s) => s.trim()).filter(Boolean);
  await page.keyboard.press('Escape');
  return names;
}

/**
 * Messages of every notification: visible toasts plus the notification centre (toasts can be hidden, e.g. when the
 * smoke-test driver is on or once they time out). Opens the centre through the palette and closes it again.
 */
export async function readNotifications(page: Page): Promise<string[]> {
  const toasts = await page.locator('.notification-toast .notification-list-item-message').allInnerTexts();
  await runCommand(page, 'Notifications: Show Notifications', 10_000);
  const centre = page.locator('.notifications-center .notification-list-item-message');
  await page.locator('.notifications-center').waitFor({ state: 'visible', timeout: 5000 });
  const listed = await centre.allInnerTexts();
  await runCommand(page, 'Notifications: Hide Notifications', 10_000).catch(() => page.keyboard.press('Escape'));
  return [...new Set([...toasts, ...listed].map((s) => s.trim()).filter(Boolean))];
}

/** Waits for a notification whose message satisfies `pred`; returns that message. */
export async function waitForNotification(page: Page, pred: (message: string) => boolean, timeoutMs = 15_000): Promise<string> {
  let seen: string[] = [];
  try {
    return await waitFor(
      'a matching notification',
      async () => {
        seen = await readNotifications(page);
        return seen.find(pred);
      },
      timeoutMs,
      500,
    );
  } catch (e) {
    throw new AirlockError('E2E_NOTIFICATION', `${(e as Error).message}; notifications: ${JSON.stringify(seen)}`);
  }
}

/** The content frame of the (first) ready webview: webviews are two iframes deep. */
export function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('#active-frame');
}

/** The content frame of the webview whose document has an element matching `selector` (several may be open). */
export async function findWebview(page: Page, selector: string, timeoutMs = 30_000): Promise<FrameLocator> {
  return waitFor(
    `a webview containing ${selector}`,
    async () => {
      const n = await page.locator('iframe.webview.ready').count();
      for (let i = 0; i < n; i++) {
        const frame = page.frameLocator('iframe.webview.ready').nth(i).frameLocator('#active-frame');
        if (
          !(await frame
            .locator(selector)
            .count()
            .catch(() => 0))
        )
          continue;
        // Held by the iframe's name (the webview's id), not its position: another webview made or restored later (the
        // Audit Log's Panel view after a reload) shifts the positions, and nth(i) would then be that one.
        const name = await page
          .locator('iframe.webview.ready')
          .nth(i)
          .getAttribute('name')
          .catch(() => null);
        return name ? page.frameLocator(`iframe.webview[name="${name}"]`).frameLocator('#active-frame') : frame;
      }
      return undefined;
    },
    timeoutMs,
    250,
  );
}

/** Saves a full-page PNG to test-artifacts/e2e/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Runs `fn` on a fresh page; on failure saves `<name>-failure.png` and the console tail, then rethrows. Always closes the page. */
export async function withPage<T>(browser: Browser, name: string, fn: (page: E2EPage) => Promise<T>): Promise<T> {
  const page = await browser.newPage();
  try {
    return await fn(page);
  } catch (e) {
    await screenshot(page, `${name}-failure`).catch(() => undefined);
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(ARTIFACTS_DIR, `${name}-failure.log`), page.consoleLines.join('\n'));
    throw e;
  } finally {
    await page.close().catch(() => undefined);
  }
}
