// E2E in a real VS Code (code-server + Chromium) against a loopback fake OpenAI-compatible server: an edit approval shows
// a diff (inline and in the diff editor), the deny reason reaches the model and the audit log; an exec approval shows
// the parsed command and why it is asked; a follow-up carries the conversation. Screenshots per step.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { chatTurn } from '../fakes/openai';
import { type ChatRig, openChat, requestMessages, sendPrompt, useChatRig } from './chatRig';
import { findWebview, openWorkbench, runCommand, screenshot, waitFor, waitForStatusBar } from './harness';

const CI = '.github/workflows/test.yml';
const CI_YAML =
  'name: test\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: node --test\n';
const P1 = 'Make CI also run the linter';
const REASON = 'Leave CI alone; add a lint script to package.json instead';
const ANSWER1 = 'Understood: the CI workflow stays as it is, and I suggest a lint script instead.';
const P2 = 'What did you suggest instead?';
const P3 = 'Run the tests';
const EXEC_REASON = 'build and test commands run in a sandbox after approval';
const EDIT = { path: CI, oldText: '      - run: node --test', newText: '      - run: npm run lint\n      - run: node --test' };

describe('e2e chat: informed approvals, the deny reason, and a conversation', function () {
  this.timeout(200_000);
  let page: ChatRig['page'];
  let chat: FrameLocator;
  const messages = (i: number) => requestMessages(rig.fake!, i);
  const send = (text: string) => sendPrompt(page, chat, text);

  const rig = useChatRig('chat', {
    files: { [CI]: CI_YAML },
    responses: [
      chatTurn({
        text: ['I will add the linter ', 'to the CI workflow. '],
        calls: [{ id: 'call_1', name: 'fs__edit', args: [JSON.stringify(EDIT)] }],
        usage: { input: 900, output: 40 },
      }),
      chatTurn({ text: [ANSWER1], usage: { input: 1000, output: 20 } }),
      chatTurn({ text: ['I suggested a lint script in package.json.'], usage: { input: 1100, output: 10 } }),
      chatTurn({
        text: ['Running the tests. '],
        calls: [{ id: 'call_2', name: 'exec', args: [JSON.stringify({ argv: ['node', '--test'] })] }],
        usage: { input: 1200, output: 10 },
      }),
      chatTurn({ text: ['The tests ran.'], usage: { input: 1300, output: 5 } }),
    ],
  });
  before(() => {
    page = rig.page!;
  });

  it('1 an edit approval shows the change as a diff, and Open diff opens it in the diff editor', async () => {
    await openWorkbench(page, rig.cs!.folderUrl(rig.ws!), 60_000);
    await waitForStatusBar(page, 'airlock.kernel', /Airlock: ready/, 120_000);
    chat = await openChat(page);
    await send(P1);
    const card = chat.locator('.approval.pending');
    await card.waitFor({ timeout: 60_000 });
    const diff = card.locator('pre.diff');
    await diff.waitFor({ timeout: 20_000 });
    assert.match(await card.locator('.preview-head').innerText(), /Change to\s+\.github\/workflows\/test\.yml\s+\+1\s+−0/i);
    assert.equal(await diff.locator('.add').innerText(), '+      - run: npm run lint');
    assert.equal(await diff.locator('.del').count(), 0);
    assert.ok((await diff.locator('.ctx').count()) >= 3, 'context lines around the change');
    assert.match(await card.locator('.reason').innerText(), /Why Airlock asks: git internals and CI workflows are approved one by one/i);
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, 'chat-1-edit-approval');
    await card.locator('vscode-button[data-action="open-diff"]').click();
    await page.locator('.tab.active', { hasText: 'test.yml (proposed by fs.edit' }).waitFor({ timeout: 30_000 });
    // Monaco renders spaces as U+00A0, which \s matches.
    const modified = page.locator('.monaco-diff-editor .editor.modified .view-lines').first();
    await waitFor(
      'the inserted line in the diff editor',
      async () => (/npm\s+run\s+lint/.test((await modified.textContent()) ?? '') ? true : undefined),
      15_000,
    );
    assert.equal(
      await page
        .locator('.monaco-diff-editor .editor.original .view-lines')
        .first()
        .textContent()
        .then((t) => /npm\s+run\s+lint/.test(t ?? '')),
      false,
    );
    await screenshot(page, 'chat-1-open-diff');
  });

  it('2 the deny reason reaches the model as the call result and the audit entry of the answer', async () => {
    const card = chat.locator('.approval.pending');
    await card.locator('vscode-textfield.note').click();
    await page.keyboard.type(REASON);
    await card.locator('vscode-button[data-answer="deny"]').click();
    await chat.locator('.approval.denied').waitFor({ timeout: 30_000 });
    await chat.locator('.notice', { hasText: 'Task completed' }).waitFor({ timeout: 60_000 });
    assert.equal(fs.readFileSync(path.join(rig.ws!, CI), 'utf8'), CI_YAML);
    const tool = messages(1).find((m) => m.role === 'tool');
    assert.ok(tool, `the second request has the tool result: ${JSON.stringify(messages(1))}`);
    assert.match(String(tool.content), new RegExp(`the person declined fs\\.edit: "${REASON}"`));
    await screenshot(page, 'chat-2-denied');
    await runCommand(page, 'Airlock: Open Audit Log');
    const audit = await findWebview(page, '#verify', 60_000);
    await audit.locator('vscode-textfield[name="action"]').click();
    await page.keyboard.type('tool.approval');
    await page.keyboard.press('Enter');
    const row = audit.locator('#table .vl-row', { hasText: 'tool.approval' }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    await waitFor(
      'the note in the answer entry',
      async () => ((await audit.locator('#details').innerText()).includes(REASON) ? true : undefined),
      15_000,
    );
    assert.match(await audit.locator('#details').innerText(), /"answer":\s*"deny"/);
    await screenshot(page, 'chat-2-audit');
  });

  it('3 a follow-up carries the conversation: the model gets the first prompt and answer before the new one', async () => {
    chat = await openChat(page);
    await send(P2);
    await chat.locator('.msg.assistant', { hasText: 'lint script in package.json' }).waitFor({ timeout: 60_000 });
    await chat.locator('.notice', { hasText: 'Task completed' }).nth(1).waitFor({ timeout: 60_000 });
    const sent = messages(2).filter((m) => m.role !== 'system');
    assert.deepEqual(
      sent.map((m) => m.role),
      ['user', 'assistant', 'user'],
    );
    assert.equal(sent[0]!.content, P1);
    assert.match(String(sent[1]!.content), new RegExp(ANSWER1.replace(/[.:]/g, '\\$&')));
    assert.equal(sent[2]!.content, P2);
    // One session, titled by its first prompt (not "New session").
    const titles = (await chat.locator('#sessions vscode-option').allTextContents()).map((t) => t.trim());
    assert.equal(titles.length, 1);
    assert.match(titles[0]!, new RegExp(`^${P1} \\(\\d+\\)$`));
    await screenshot(page, 'chat-3-follow-up');
    // The follow-up was answered by the provider worker the last turn kept for this conversation (its handover recorded).
    await runCommand(page, 'Airlock: Open Audit Log');
    const audit = await findWebview(page, '#verify', 60_000);
    await audit.locator('vscode-button', { hasText: 'Clear' }).click(); // test 2's filter
    await audit.locator('vscode-textfield[name="action"]').click();
    await page.keyboard.type('provider.worker.reused');
    await page.keyboard.press('Enter');
    await audit.locator('#table .vl-row', { hasText: 'provider.worker.reused' }).first().waitFor({ timeout: 30_000 });
  });

  it('4 an exec approval shows the parsed command and why the policy asked', async () => {
    await runCommand(page, 'Airlock: Switch Mode');
    const pick = page.locator('.quick-input-widget .monaco-list-row', { hasText: /^strict/ }).first();
    await pick.waitFor({ timeout: 10_000 });
    await pick.click();
    chat = await openChat(page);
    await send(P3);
    const card = chat.locator('.approval.pending');
    await card.waitFor({ timeout: 60_000 });
    await card.locator('pre.cmd').waitFor({ timeout: 20_000 });
    assert.equal(await card.locator('pre.cmd').innerText(), '$ node --test');
    assert.match(await card.locator('.argv').innerText(), /2 arguments: node --test/);
    assert.match(await card.locator('.reason').innerText(), new RegExp(`Why Airlock asks: ${EXEC_REASON}`, 'i'));
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, 'chat-4-exec-approval');
    await card.locator('vscode-button[data-answer="allow-once"]').click();
    await chat.locator('.msg.assistant', { hasText: 'The tests ran.' }).waitFor({ timeout: 120_000 });
    await screenshot(page, 'chat-4-exec-allowed');
  });
});
