// E2E in a real VS Code (code-server + Chromium), keyboard only (no mouse click anywhere): the chat's controls have
// names, roles and live regions a screen reader uses; an approval is denied with a reason and another allowed; the review
// accepts a hunk (Alt+Y) and merges from the chat's card, which then says merged. Screenshots per step.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { chatTurn } from '../fakes/openai';
import { type ChatRig, requestMessages, useChatRig } from './chatRig';
import { findWebview, openWorkbench, screenshot, waitFor, waitForStatusBar } from './harness';

const CI = '.github/workflows/test.yml';
const CI_YAML = 'name: test\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: node --test\n';
const CI_EDIT = { path: CI, oldText: '      - run: node --test', newText: '      - run: npm run lint\n      - run: node --test' };
/** The second edit, allowed: the set's one hunk, accepted and merged in the review. */
const ALLOWED = '      - run: node --test --test-reporter=spec';
const EDIT = { path: CI, oldText: '      - run: node --test', newText: ALLOWED };
const REASON = 'Leave CI alone';
const CODELENS = '.monaco-editor .codelens-decoration a';

/** What has the keyboard focus in the chat's document (a vscode-elements host, not its shadow input). */
interface Focused {
  tag: string;
  id: string;
  action: string;
  answer: string;
  note: boolean;
}

describe('e2e a11y: the chat, an approval and the review with the keyboard only, and what a screen reader is told', function () {
  this.timeout(300_000);
  let page: ChatRig['page'];
  let chat: FrameLocator;

  const rig = useChatRig('a11y', {
    files: { [CI]: CI_YAML },
    responses: [
      chatTurn({ text: ['Adding a lint step. '], calls: [{ id: 'call_1', name: 'fs__edit', args: [JSON.stringify(CI_EDIT)] }] }),
      chatTurn({ text: ['A reporter then. '], calls: [{ id: 'call_2', name: 'fs__edit', args: [JSON.stringify(EDIT)] }] }),
      chatTurn({ text: ['The tests now report each case.'] }),
    ],
  });
  before(() => {
    page = rig.page!;
  });

  const focused = (): Promise<Focused | null> =>
    chat.locator('body').evaluate(() => {
      const a = document.activeElement as HTMLElement | null;
      if (!a || a === document.body) return null;
      return {
        tag: a.tagName.toLowerCase(),
        id: a.id,
        action: a.dataset.action ?? '',
        answer: a.dataset.answer ?? '',
        note: a.hasAttribute('data-note-for'),
      };
    });
  /** Presses Tab (or Shift+Tab) until `want` holds for the focused control; fails when it is not reachable. */
  const tabTo = async (what: string, want: (f: Focused | null) => boolean, back = true): Promise<void> => {
    for (let i = 0; i < 60; i++) {
      if (want(await focused())) return;
      await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    }
    assert.fail(`${what} is not reachable with ${back ? 'Shift+Tab' : 'Tab'} (focus on ${JSON.stringify(await focused())})`);
  };
  const live = () => chat.locator('#live').innerText();
  /** Airlock: Open Chat from the palette, typed (F1, the title, Enter): the cursor must land in the composer. */
  const openChatByKeyboard = async (): Promise<void> => {
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget .quick-input-box input').waitFor({ state: 'visible', timeout: 5000 });
    await page.keyboard.type('Airlock: Open Chat'); // after the palette's own '>'
    // Enter runs the first row: wait until it is this command (rows filter as the title is typed).
    const first = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first();
    await waitFor(
      'Open Chat first in the palette',
      async () => (/^Airlock: Open Chat/.test((await first.innerText()).trim()) ? true : undefined),
      20_000,
    );
    await page.keyboard.press('Enter');
    chat = await findWebview(page, '#log', 60_000);
  };
  /** Undefined when the composer has the focus within 20 s; else where the focus is (asserted once the flow is done). */
  const inComposer = async (): Promise<string | undefined> => {
    try {
      await waitFor('the composer to have the focus', async () => ((await focused())?.id === 'input' ? true : undefined), 20_000);
      return undefined;
    } catch {
      const where = await chat.locator('body').evaluate(() => ({
        hasFocus: document.hasFocus(),
        active: document.activeElement?.outerHTML.slice(0, 120),
      }));
      return JSON.stringify(where);
    }
  };

  it('1 Open Chat puts the cursor in the composer; every control has its role and name; Enter sends', async () => {
    await openWorkbench(page, rig.cs!.folderUrl(rig.ws!), 60_000);
    await waitForStatusBar(page, 'airlock.kernel', /Airlock: ready/, 120_000);
    await openChatByKeyboard();
    // The focusable input inside each field is named (not only its host element), so a screen reader reads the name.
    await chat.getByRole('textbox', { name: 'Task for the agent' }).waitFor({ timeout: 10_000 });
    await chat.getByRole('combobox', { name: 'Mode' }).waitFor({ timeout: 10_000 });
    await chat.getByRole('combobox', { name: 'Session history' }).waitFor({ timeout: 10_000 });
    await chat.getByRole('list', { name: 'Conversation' }).waitFor({ timeout: 10_000 });
    await chat.getByRole('button', { name: 'Send' }).waitFor({ timeout: 10_000 });
    await chat.getByRole('toolbar', { name: 'Add context to the message' }).waitFor({ timeout: 10_000 });
    assert.equal(await chat.locator('#live').getAttribute('aria-live'), 'polite');
    assert.equal(await chat.locator('vscode-button#stop').getAttribute('aria-keyshortcuts'), 'Escape');
    const missed = await inComposer();
    // Should Open Chat leave the focus elsewhere, a keyboard user would Tab to the composer: the rest still runs.
    if (missed) await tabTo('the composer', (f) => f?.id === 'input', false);
    await screenshot(page, 'a11y-1-composer');
    await page.keyboard.type('Add a lint step to CI, run the tests, and fix median');
    await page.keyboard.press('Enter');
    await chat.getByRole('button', { name: 'Stop' }).waitFor({ timeout: 30_000 });
    assert.equal(missed, undefined, 'Open Chat puts the cursor in the composer');
  });

  it('2 approvals with the keyboard: the reason field is named, Deny sends the reason, Allow once lets the next edit through', async () => {
    await chat.locator('.approval.pending').waitFor({ timeout: 60_000 });
    await chat.getByRole('group', { name: 'Approval needed for fs.edit' }).waitFor({ timeout: 10_000 });
    await waitFor('the approval announced', async () => (/Approval needed for fs\.edit/.test(await live()) ? true : undefined), 10_000);
    await chat.getByRole('textbox', { name: /^Reason for your decision/ }).waitFor({ timeout: 10_000 });
    await chat.getByRole('button', { name: 'Allow once' }).waitFor({ timeout: 10_000 });
    // From the composer, back into the transcript: the reason field, typed into, then forward to Deny.
    await tabTo('the reason field', (f) => !!f?.note);
    await page.keyboard.type(REASON);
    await tabTo('Deny', (f) => f?.answer === 'deny', false);
    await screenshot(page, 'a11y-2-deny');
    await page.keyboard.press('Enter');
    await chat.locator('.approval.denied').waitFor({ timeout: 30_000 });
    const answered = chat.locator('.approval.denied [role="status"]');
    assert.match(await answered.innerText(), new RegExp(`Denied — ${REASON}`));
    assert.equal((await focused())?.id, 'input', 'the answered card gives the focus back to the composer');
    await waitFor(
      'the model to get the reason',
      async () => (JSON.stringify(requestMessages(rig.fake!, 1)).includes(REASON) ? true : undefined),
      30_000,
    );

    await chat.locator('.approval.pending').waitFor({ timeout: 60_000 });
    await chat.getByRole('group', { name: 'Approval for fs.edit' }).waitFor({ timeout: 10_000 }); // the answered one
    await chat.getByRole('group', { name: 'Approval needed for fs.edit' }).waitFor({ timeout: 10_000 });
    await tabTo('Allow once', (f) => f?.answer === 'allow-once');
    await page.keyboard.press('Enter');
    await chat.locator('.approval.allowed').waitFor({ timeout: 30_000 });
    await screenshot(page, 'a11y-2-allowed');
  });

  it('3 the review with the keyboard: Review on the card, Alt+Y accepts the hunk, Merge accepted; the card says merged', async () => {
    // Looked up in the chat as it is now: reopening the chat may make its webview afresh (held by its id, not position).
    const card = () => chat.getByRole('region', { name: /^Patch set ps_/ });
    await card().waitFor({ timeout: 90_000 });
    assert.equal(await card().locator('[role="status"]').innerText(), 'Patch set to review');
    await card()
      .getByRole('button', { name: /^Review patch set ps_/ })
      .waitFor({ timeout: 10_000 });
    await card()
      .getByRole('button', { name: /^Merge the accepted changes of patch set ps_/ })
      .waitFor({ timeout: 10_000 });
    await tabTo('Review', (f) => f?.action === 'open-patchset');
    await page.keyboard.press('Enter');
    await page.locator('.monaco-diff-editor').first().waitFor({ timeout: 30_000 });
    await page
      .locator(CODELENS, { hasText: /Accept hunk/ })
      .first()
      .waitFor({ timeout: 30_000 });
    await page.keyboard.press('Alt+Y');
    await page
      .locator(CODELENS, { hasText: /Accepted/ })
      .first()
      .waitFor({ timeout: 30_000 });
    await screenshot(page, 'a11y-3-accepted');
    // Back to the chat from the palette, and Shift+Tab to the card's Merge accepted.
    await openChatByKeyboard();
    await tabTo('Merge accepted', (f) => f?.action === 'merge-patchset');
    await page.keyboard.press('Enter');
    await waitFor(
      'the merge on disk',
      async () => (fs.readFileSync(path.join(rig.ws!, CI), 'utf8').includes(ALLOWED) ? true : undefined),
      30_000,
    );
    await waitFor(
      'the card to say merged',
      async () => ((await card().locator('[role="status"]').innerText()) === 'Patch set merged' ? true : undefined),
      30_000,
    );
    await waitFor('the merge announced', async () => (/Patch set merged: 1 file/.test(await live()) ? true : undefined), 10_000);
    assert.equal(
      await card()
        .getByRole('button', { name: /^Merge the accepted/ })
        .count(),
      0,
      'nothing left to merge',
    );
    // Nothing waits for the person any more: no approval count on the chat, no set count on the (hidden) Patches view.
    await waitFor(
      'the activity bar without badges',
      async () => ((await page.locator('.part.activitybar .badge-content:visible').count()) === 0 ? true : undefined),
      15_000,
    );
    await screenshot(page, 'a11y-3-merged');
  });
});
