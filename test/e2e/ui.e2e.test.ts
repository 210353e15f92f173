// E2E: the chat panel and the Audit Log view in a real VS Code (code-server + Chromium), opened from the command palette.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { FrameLocator, Page } from 'playwright-core';
import {
  type Browser,
  CodeServer,
  launchBrowser,
  makeWorkspace,
  openWorkbench,
  removeKernelContainers,
  REPO_ROOT,
  runCommand,
  screenshot,
  tempDir,
} from './harness';

const execFileP = promisify(execFile);

/** The content frame of the webview whose document has `selector` (several webviews may be open). */
async function webviewWith(page: Page, selector: string, timeoutMs = 60_000): Promise<FrameLocator> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const n = await page.locator('iframe.webview.ready').count();
    for (let i = 0; i < n; i++) {
      const f = page.frameLocator('iframe.webview.ready').nth(i).frameLocator('#active-frame');
      if (
        await f
          .locator(selector)
          .count()
          .catch(() => 0)
      )
        return f;
    }
    if (Date.now() > end) throw new Error(`no webview with ${selector} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('e2e: Airlock chat panel and audit view', function () {
  this.timeout(240_000);
  let tmp: string;
  let cs: CodeServer;
  let browser: Browser;
  const ws = makeWorkspace({ 'src/hello.ts': 'export const hello = "world";\n' }, 'ui');

  before(async () => {
    tmp = tempDir('ui');
    const vsix = path.join(tmp, 'airlock.vsix');
    const packaged = (async () => {
      // vsce directly (as `npm run package` does), with a base URL so relative README links never block packaging.
      await execFileP('node', ['scripts/build.mjs', '--production'], { cwd: REPO_ROOT, timeout: 180_000 });
      await execFileP(
        'npx',
        [
          'vsce',
          'package',
          '--no-dependencies',
          '--allow-missing-repository',
          '--baseContentUrl',
          'https://airlock.invalid/',
          '--baseImagesUrl',
          'https://airlock.invalid/',
          '-o',
          vsix,
        ],
        { cwd: REPO_ROOT, timeout: 180_000 },
      );
    })();
    const [server] = await Promise.all([
      CodeServer.start({ settings: { 'security.workspace.trust.enabled': false } }),
      packaged,
      launchBrowser().then((b) => {
        browser = b;
      }),
    ]);
    cs = server;
    await cs.installExtension(vsix);
  });

  after(async () => {
    await browser?.close();
    await cs?.stop();
    await removeKernelContainers(ws);
    for (const d of [tmp, ws]) if (d) fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
  });

  it('"Airlock: Open Chat" shows the chat panel with its controls, themed and labelled', async () => {
    const page = await browser.newPage();
    try {
      await openWorkbench(page, cs.folderUrl(ws));
      await runCommand(page, 'Airlock: Open Chat');
      const chat = await webviewWith(page, '#log');
      await chat.locator('vscode-textarea#input').waitFor({ state: 'visible', timeout: 30_000 });
      assert.equal(await chat.locator('#log').getAttribute('aria-label'), 'Conversation');
      assert.deepEqual(await chat.locator('#mode vscode-option').allInnerTexts(), ['strict', 'explore', 'debug']);
      // The theme reaches the webview: the body colour comes from --vscode-foreground.
      const fg = await chat.locator('body').evaluate((b) => getComputedStyle(b).getPropertyValue('--vscode-foreground').trim());
      assert.ok(fg.length > 0, 'theme variables are present');
      await page.waitForTimeout(1000);
      await screenshot(page, 'ui-chat');
    } finally {
      await page.close();
    }
  });

  it('"Airlock: Open Audit Log" shows the audit view with its verification state', async () => {
    const page = await browser.newPage();
    try {
      await openWorkbench(page, cs.folderUrl(ws));
      await runCommand(page, 'View: Close Primary Side Bar');
      await runCommand(page, 'Airlock: Open Audit Log');
      const audit = await webviewWith(page, '#verify');
      await audit.locator('#table').waitFor({ state: 'attached', timeout: 30_000 });
      // Either the kernel answers (entry count / verification) or the view says plainly why it cannot.
      const text = async () =>
        `${await audit.locator('#verify').innerText()} ${await audit
          .locator('#banner')
          .innerText()
          .catch(() => '')}`;
      const end = Date.now() + 90_000;
      while (/Checking the audit log/.test(await text()) && Date.now() < end) await page.waitForTimeout(500);
      assert.match(await text(), /entries|Intact|Tampered|not available|Cannot verify|Not verified/);
      await page.waitForTimeout(500);
      await screenshot(page, 'ui-audit');
    } finally {
      await page.close();
    }
  });
});
