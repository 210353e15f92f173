// E2E in a real VS Code (code-server + Chromium): the workspace changes under a proposal, the hunk shows as conflicted,
// Merge opens VS Code's three-way merge editor (base, yours, proposed), the person's result is what lands on disk, and
// the set is merged only then. A fake OpenAI-compatible model proposes the edit. Screenshots per step.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { chatTurn } from '../fakes/openai';
import { type ChatRig, openChat, sendPrompt, useChatRig } from './chatRig';
import { openWorkbench, runCommand, screenshot, sleep, waitFor, waitForNotification, waitForStatusBar } from './harness';

const STATS = 'src/stats.js';
const OLD = '  const sorted = [...values].sort();';
const PROPOSED = '  const sorted = [...values].sort((a, b) => a - b);';
const MINE = '  const sorted = [...values].sort(); // TODO: numeric sort';
/** What the merge editor's "Accept Combination" makes of the two edits of that line. */
const COMBINED = '  const sorted = [...values].sort((a, b) => a - b); // TODO: numeric sort';
const EDIT = { path: STATS, oldText: OLD, newText: PROPOSED };
const CODELENS = '.monaco-editor .codelens-decoration a';

describe('e2e merge: a conflict is resolved in the merge editor, never skipped', function () {
  this.timeout(240_000);
  let page: ChatRig['page'];
  let chat: FrameLocator;
  let original: string;
  const disk = () => fs.readFileSync(path.join(rig.ws!, STATS), 'utf8');
  const lens = (text: RegExp) => page.locator(CODELENS, { hasText: text });

  const rig = useChatRig('merge', {
    responses: [
      chatTurn({
        text: ['Sorting numerically. '],
        calls: [{ id: 'call_1', name: 'fs__edit', args: [JSON.stringify(EDIT)] }],
        usage: { input: 500, output: 20 },
      }),
      chatTurn({ text: ['median() now sorts numerically.'], usage: { input: 600, output: 10 } }),
    ],
  });
  before(() => {
    page = rig.page!;
    original = disk();
  });

  it('1 a task proposes an edit; the person edits the same line in the workspace before reviewing', async () => {
    assert.ok(original.includes(OLD));
    await openWorkbench(page, rig.cs!.folderUrl(rig.ws!), 60_000);
    await waitForStatusBar(page, 'airlock.kernel', /Airlock: ready/, 120_000);
    chat = await openChat(page);
    await sendPrompt(page, chat, 'Make median sort numerically');
    await chat.locator('.patchset').waitFor({ timeout: 90_000 });
    assert.equal(disk(), original, 'nothing is written before review');
    fs.writeFileSync(path.join(rig.ws!, STATS), original.replace(OLD, MINE));
    await screenshot(page, 'merge-1-patchset');
  });

  it('2 Merge does not skip the conflict: the hunk is conflicted and the merge editor opens with base, yours, proposed', async () => {
    await chat.locator('.patchset vscode-button[data-action="open-patchset"]').click();
    await page.locator('.monaco-diff-editor').first().waitFor({ timeout: 30_000 });
    // The proposal no longer applies to the workspace file: no placeholder text, no hunk lenses on it; a pointer instead.
    await lens(/workspace file changed under this proposal/)
      .first()
      .waitFor({ timeout: 30_000 });
    assert.equal(await lens(/^\s*\S*\s*Accept hunk\s*$/).count(), 0);
    await runCommand(page, 'Airlock: Accept All in File');
    await lens(/Merge accepted \(file accepted\)/)
      .first()
      .waitFor({ timeout: 30_000 });
    await lens(/Merge accepted/)
      .first()
      .click();
    await page.locator('.tab', { hasText: 'Merging: stats.js' }).first().waitFor({ timeout: 30_000 });
    assert.equal(disk(), original.replace(OLD, MINE), "the person's edit is untouched until they resolve");
    // Per-hunk status in the Patches view: the file is conflicted.
    const row = page.locator('.monaco-list-row', { hasText: 'src/stats.js' });
    if (!(await row.count())) await page.locator('.pane', { hasText: 'Patches' }).locator('.monaco-list-row').first().click();
    await page
      .locator('.monaco-list-row', { hasText: /src\/stats\.js.*conflicted/ })
      .first()
      .waitFor({ timeout: 30_000 });
    const merge = page.locator('.merge-editor');
    await merge.first().waitFor({ timeout: 30_000 });
    const text = await merge.first().innerText();
    assert.match(text, /Yours/);
    assert.match(text, /Proposed/);
    await screenshot(page, 'merge-2-merge-editor');
  });

  it("3 the person's result is what is merged; the set is merged only then", async () => {
    const merge = page.locator('.merge-editor').first();
    // The result starts as the workspace file (yours); the person adds the proposal to it: a line neither side had.
    await merge.locator('.merge-editor-conflict-actions').getByText('Accept Combination', { exact: true }).first().click();
    await merge.locator('.merge-editor-conflict-actions', { hasText: 'Proposed + Yours' }).first().waitFor({ timeout: 15_000 });
    await screenshot(page, 'merge-3-combined');
    // Choosing is not completing: nothing is reported while the merge editor is open (even if the file was saved).
    await sleep(2000);
    assert.equal(await page.locator('.notification-toast', { hasText: /Resolved src\/stats\.js/ }).count(), 0);
    const complete = page.getByRole('button', { name: 'Complete Merge' });
    if (await complete.isVisible().catch(() => false)) await complete.click();
    else {
      await merge.click();
      await page.keyboard.press('Control+Enter');
    }
    await waitFor('the merged result on disk', async () => (disk() === original.replace(OLD, COMBINED) ? true : undefined), 30_000);
    await waitForNotification(page, (m) => /Resolved src\/stats\.js; ps_\w+ is merged\./.test(m), 30_000);
    await runCommand(page, 'Airlock: Refresh Patches');
    await page.locator('.pane', { hasText: 'Patches' }).getByText('No pending patch sets.').first().waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('.tab', { hasText: '↔ proposed' }).count(), 0, "the merged set's stale proposed diffs closed");
    await screenshot(page, 'merge-3-merged');
  });
});
