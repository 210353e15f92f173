// E2E in a real VS Code (code-server + Chromium): robust chat sessions. Workspace trust granted → the chat and kernel
// come alive without a reload; a draft and the chosen mode survive a reload; a kernel killed mid-task → the session says
// the task was interrupted and why, and Stop/Send work again. Screenshots per step.
import * as assert from 'node:assert/strict';
import Docker from 'dockerode';
import type { FrameLocator } from 'playwright-core';
import { chatTurn } from '../fakes/openai';
import { type ChatRig, openChat, sendPrompt, useChatRig } from './chatRig';
import { kernelContainers, openWorkbench, runCommand, screenshot, waitFor, waitForStatusBar } from './harness';

const DRAFT = 'a half-typed idea about median';
const EXEC = { argv: ['node', '--test'] };

describe('e2e sessions: trust without reload, drafts and mode across reloads, a kernel crash mid-task', function () {
  this.timeout(240_000);
  let page: ChatRig['page'];
  let chat: FrameLocator;

  const rig = useChatRig('sessions', {
    userSettings: { 'security.workspace.trust.enabled': true },
    responses: [
      chatTurn({ text: ['Hello from a trusted workspace.'], usage: { input: 100, output: 5 } }),
      chatTurn({
        text: ['Running the tests. '],
        calls: [{ id: 'call_1', name: 'exec', args: [JSON.stringify(EXEC)] }],
        usage: { input: 200, output: 5 },
      }),
      chatTurn({ text: ['Back after the restart.'], usage: { input: 300, output: 5 } }),
    ],
  });
  before(() => {
    page = rig.page!;
  });

  it('1 granting workspace trust brings the chat and the kernel alive without a window reload', async () => {
    await openWorkbench(page, rig.cs!.folderUrl(rig.ws!), 60_000);
    await waitForStatusBar(page, 'airlock.kernel', /Airlock: off/, 60_000);
    chat = await openChat(page);
    const banner = chat.locator('#banner');
    await waitFor('the untrusted banner', async () => (/untrusted/.test(await banner.innerText()) ? true : undefined), 20_000);
    assert.deepEqual(await kernelContainers(rig.ws!), []);
    await screenshot(page, 'sessions-1-untrusted');
    await runCommand(page, 'Workspaces: Manage Workspace Trust');
    await page
      .locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust/ })
      .first()
      .click();
    await waitForStatusBar(page, 'airlock.kernel', /Airlock: ready/, 120_000);
    await waitFor('the banner to go', async () => ((await banner.isHidden()) ? true : undefined), 20_000);
    // The very same chat view (no reload, not re-opened) now runs tasks.
    await sendPrompt(page, chat, 'Say hello');
    await chat.locator('.msg.assistant', { hasText: 'Hello from a trusted workspace.' }).waitFor({ timeout: 60_000 });
    // The reply paints before the turn ends: the next test reloads the window, which would cancel a turn still ending.
    await waitForStatusBar(page, 'airlock.kernel', /Airlock: ready/, 30_000);
    await screenshot(page, 'sessions-1-trusted');
  });

  it('2 a draft and the chosen mode survive a window reload; the session is titled by its first prompt', async () => {
    await runCommand(page, 'Airlock: Switch Mode');
    const pick = page.locator('.quick-input-widget .monaco-list-row', { hasText: /^strict/ }).first();
    await pick.waitFor({ timeout: 10_000 });
    await pick.click();
    chat = await openChat(page);
    await chat.locator('vscode-textarea#input').click();
    await page.keyboard.type(DRAFT);
    await page.waitForTimeout(1_000); // the draft goes to the host debounced (300 ms)
    await page.reload({ waitUntil: 'domcontentloaded' });
    await openWorkbench(page, page.url(), 60_000);
    await waitForStatusBar(page, 'airlock.kernel', /Airlock: ready/, 120_000);
    chat = await openChat(page);
    await waitFor(
      'the draft back in the composer',
      async () =>
        (await chat.locator('vscode-textarea#input').evaluate((e) => (e as HTMLElement & { value: string }).value)) === DRAFT
          ? true
          : undefined,
      20_000,
    );
    assert.equal(await chat.locator('#mode').evaluate((e) => (e as HTMLElement & { value: string }).value), 'strict');
    const titles = (await chat.locator('#sessions vscode-option').allTextContents()).map((t) => t.trim());
    assert.match(titles[0] ?? '', /^Say hello \(\d+\)$/);
    await screenshot(page, 'sessions-2-restored');
    // Clear the draft for the next test.
    await chat.locator('vscode-textarea#input').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
  });

  it('3 a kernel killed mid-task marks the task interrupted with the reason; Send works again', async () => {
    await sendPrompt(page, chat, 'Run the tests');
    await chat.locator('.approval.pending').waitFor({ timeout: 60_000 });
    assert.equal(await chat.locator('vscode-button#stop').isVisible(), true);
    const [kernel] = (await kernelContainers(rig.ws!)).filter((c) => c.state === 'running');
    assert.ok(kernel, 'a running kernel container');
    await new Docker({ socketPath: kernel.socket }).getContainer(kernel.id).kill();
    const notice = chat.locator('.notice.error', { hasText: 'Task interrupted' });
    await notice.waitFor({ timeout: 60_000 });
    assert.match(await notice.innerText(), /Task interrupted: the kernel (stopped|failed|restarted)/);
    await chat.locator('.approval.expired').waitFor({ timeout: 10_000 });
    assert.equal(await chat.locator('vscode-button#stop').isVisible(), false, 'Stop hides: nothing runs any more');
    assert.equal(await chat.locator('vscode-button#send').getAttribute('disabled'), null, 'Send is enabled again');
    await screenshot(page, 'sessions-3-interrupted');
    await waitForStatusBar(page, 'airlock.kernel', /Airlock: ready/, 120_000);
    await sendPrompt(page, chat, 'Are you back?');
    await chat.locator('.msg.assistant', { hasText: 'Back after the restart.' }).waitFor({ timeout: 60_000 });
    // The reply paints before the turn ends; the status bar goes back to ready when it does.
    await waitForStatusBar(page, 'airlock.kernel', /Airlock: ready/, 30_000);
    await screenshot(page, 'sessions-3-resumed');
  });
});
