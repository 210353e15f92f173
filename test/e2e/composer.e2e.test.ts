// E2E in a real VS Code (code-server + Chromium) against a loopback fake OpenAI-compatible server: Rewind to here drops
// later turns (their patch sets leave review, recorded first in the audit log) and the next message continues from the
// earlier point; an @file mention reaches the model's prompt, a secret (.env) is refused with the policy's reason.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { chatTurn } from '../fakes/openai';
import { type ChatRig, openChat, requestMessages, sendPrompt, useChatRig } from './chatRig';
import { findWebview, openFile, openWorkbench, runCommand, screenshot, waitFor, waitForStatusBar } from './harness';

const P1 = 'Write notes/one.md';
const P2 = 'Now write notes/two.md';
const P3 = 'What does mean do in @src/stats.js?';
const ANSWER1 = 'Wrote notes/one.md.';
const P5 = 'Add a CI workflow';
const P6 = 'Show me a constant';
const CODE = 'const answer = 42;';
const write = (id: string, p: string) => ({ id, name: 'fs__write', args: [JSON.stringify({ path: p, content: `# ${p}\n` })] });

describe('e2e composer: rewind to an earlier message, @file context', function () {
  this.timeout(240_000);
  let page: ChatRig['page'];
  let chat: FrameLocator;
  const messages = (i: number) => requestMessages(rig.fake!, i);

  const rig = useChatRig('composer', {
    files: { '.env': 'API_TOKEN=do-not-send\n' },
    responses: [
      chatTurn({ text: ['Writing it. '], calls: [write('call_1', 'notes/one.md')], usage: { input: 100, output: 5 } }),
      chatTurn({ text: [ANSWER1], usage: { input: 120, output: 5 } }),
      chatTurn({ text: ['Writing the second. '], calls: [write('call_2', 'notes/two.md')], usage: { input: 140, output: 5 } }),
      chatTurn({ text: ['Wrote notes/two.md.'], usage: { input: 160, output: 5 } }),
      chatTurn({ text: ['mean() averages the numbers.'], usage: { input: 180, output: 5 } }),
      chatTurn({ text: ['Adding CI. '], calls: [write('call_5', '.github/workflows/ci.yml')], usage: { input: 200, output: 5 } }),
      chatTurn({ text: ['CI added.'], usage: { input: 210, output: 5 } }),
      chatTurn({ text: ['Here it is:\n\n```js\n', CODE, '\n```\n'], usage: { input: 220, output: 5 } }),
      chatTurn({ text: ['I see a tiny image.'], usage: { input: 230, output: 5 } }),
    ],
  });
  before(() => {
    page = rig.page!;
  });

  it('1 two turns, each with its patch set; Rewind to here on the second drops it and hands the message back', async () => {
    await openWorkbench(page, rig.cs!.folderUrl(rig.ws!), 60_000);
    await waitForStatusBar(page, 'airlock.kernel', /Airlock: ready/, 120_000);
    chat = await openChat(page);
    await sendPrompt(page, chat, P1);
    await chat.locator('.notice', { hasText: 'Task completed' }).first().waitFor({ timeout: 90_000 });
    await sendPrompt(page, chat, P2);
    await chat.locator('.notice', { hasText: 'Task completed' }).nth(1).waitFor({ timeout: 90_000 });
    await waitFor('two patch-set cards', async () => ((await chat.locator('.card.patchset').count()) === 2 ? true : undefined), 30_000);
    await screenshot(page, 'composer-1-two-turns');
    const second = chat.locator('.msg.user', { hasText: P2 });
    await second.hover();
    await second.locator('vscode-button[data-action="rewind"]').click();
    await chat.locator('.notice', { hasText: 'Rewound' }).waitFor({ timeout: 30_000 });
    assert.match(
      await chat.locator('.notice', { hasText: 'Rewound' }).innerText(),
      /1 message .*1 patch set withdrawn from review\. Nothing in the workspace moved/,
    );
    assert.equal(await chat.locator('.msg.user', { hasText: P2 }).count(), 0);
    assert.equal(await chat.locator('.card.patchset').count(), 1);
    assert.equal(await chat.locator('.msg.user', { hasText: P1 }).count(), 1);
    await waitFor(
      'the message back in the composer',
      async () =>
        (await chat.locator('vscode-textarea#input').evaluate((e) => (e as HTMLElement & { value: string }).value)) === P2
          ? true
          : undefined,
      10_000,
    );
    assert.equal(fs.existsSync(path.join(rig.ws!, 'notes')), false, 'nothing reached the workspace');
    await screenshot(page, 'composer-1-rewound');
  });

  it("2 the rewind is in the audit log before the withdrawn set's review decision", async () => {
    await runCommand(page, 'Airlock: Open Audit Log');
    const audit = await findWebview(page, '#verify', 60_000);
    await audit.locator('vscode-textfield[name="action"]').click();
    await page.keyboard.type('task.rewind');
    await page.keyboard.press('Enter');
    const row = audit.locator('#table .vl-row', { hasText: 'task.rewind' }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    await waitFor(
      'the dropped task in the entry',
      async () => (/"tasks":\s*\[\s*"task_/.test(await audit.locator('#details').innerText()) ? true : undefined),
      15_000,
    );
    const rewindSeq = Number((await row.innerText()).match(/^\s*(\d+)/)?.[1]);
    // Set, not typed over the first filter (keys typed into a field being re-rendered got lost).
    const action = audit.locator('vscode-textfield[name="action"]');
    await action.evaluate((e) => {
      (e as HTMLElement & { value: string }).value = 'review.decide';
    });
    await action.click();
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    const decide = audit.locator('#table .vl-row', { hasText: 'review.decide' }).first();
    await decide.waitFor({ timeout: 30_000 });
    await decide.click();
    await waitFor(
      'the rewind note',
      async () => ((await audit.locator('#details').innerText()).includes('rewound') ? true : undefined),
      15_000,
    );
    const decideSeq = Number((await decide.innerText()).match(/^\s*(\d+)/)?.[1]);
    assert.ok(rewindSeq > 0 && decideSeq > rewindSeq, `task.rewind #${rewindSeq} before review.decide #${decideSeq}`);
    await screenshot(page, 'composer-2-audit');
  });

  it('3 the next message continues from the first turn and carries @src/stats.js to the model', async () => {
    chat = await openChat(page);
    const input = chat.locator('vscode-textarea#input');
    await input.evaluate((e) => {
      (e as HTMLElement & { value: string }).value = '';
    });
    await sendPrompt(page, chat, P3);
    await chat.locator('.msg.assistant', { hasText: 'mean() averages' }).waitFor({ timeout: 90_000 });
    // Ended (Send works again): turn 1's and this one's completions are the transcript's two.
    await chat.locator('.notice', { hasText: 'Task completed' }).nth(1).waitFor({ timeout: 60_000 });
    assert.match(await chat.locator('.msg.user', { hasText: P3 }).locator('.chip').innerText(), /@src\/stats\.js/);
    const sent = messages(4).filter((m) => m.role !== 'system');
    assert.deepEqual(
      sent.map((m) => m.role),
      ['user', 'assistant', 'user'],
      JSON.stringify(sent),
    );
    assert.equal(sent[0]!.content, P1);
    assert.match(String(sent[1]!.content), /Wrote notes\/one\.md/);
    assert.ok(!JSON.stringify(sent).includes(P2), 'the dropped turn is not in the conversation');
    const stats = fs.readFileSync(path.join(rig.ws!, 'src', 'stats.js'), 'utf8');
    assert.ok(String(sent[2]!.content).startsWith(`${P3}\n\nContext the person attached`));
    assert.ok(String(sent[2]!.content).includes(`<file path="src/stats.js">\n${stats}`));
    await screenshot(page, 'composer-3-file-context');
  });

  it("4 @.env is refused with the policy's reason; nothing reaches the model and the message stays in the composer", async () => {
    const before = rig.fake!.requests.length;
    await sendPrompt(page, chat, 'Is the token in @.env right?');
    const refusal = chat.locator('.notice.error', { hasText: 'Not sent' });
    await refusal.waitFor({ timeout: 30_000 });
    assert.match(await refusal.innerText(), /\.env cannot be attached: .*secrets never reach the model/);
    await waitFor(
      'the message back in the composer',
      async () =>
        /@\.env/.test(await chat.locator('vscode-textarea#input').evaluate((e) => (e as HTMLElement & { value: string }).value))
          ? true
          : undefined,
      10_000,
    );
    await page.waitForTimeout(1_000);
    assert.equal(rig.fake!.requests.length, before);
    assert.ok(!JSON.stringify(rig.fake!.requests.map((q) => q.body)).includes('do-not-send'));
    await screenshot(page, 'composer-4-secret-refused');
  });

  it('5 a message sent while a task waits is queued and starts when it ends; Insert puts a code block at the cursor', async () => {
    await openFile(page, 'README.md');
    chat = await openChat(page);
    await chat.locator('vscode-textarea#input').evaluate((e) => {
      (e as HTMLElement & { value: string }).value = '';
    });
    await sendPrompt(page, chat, P5);
    const card = chat.locator('.approval.pending');
    await card.waitFor({ timeout: 90_000 });
    assert.equal(await chat.locator('vscode-button#send').innerText(), 'Queue');
    await sendPrompt(page, chat, P6);
    await chat.locator('.notice', { hasText: `Queued: "${P6}"` }).waitFor({ timeout: 20_000 });
    const requestsBefore = rig.fake!.requests.length;
    await screenshot(page, 'composer-5-queued');
    await card.locator('vscode-button[data-answer="allow-once"]').click();
    const code = chat.locator('.msg.assistant pre.md-code', { hasText: CODE });
    await code.waitFor({ timeout: 90_000 });
    assert.equal(rig.fake!.requests.length, requestsBefore + 2, 'the rest of the first task, then the queued one');
    const sent = messages(rig.fake!.requests.length - 1).filter((m) => m.role !== 'system');
    assert.equal(sent[sent.length - 1]!.content, P6);
    assert.ok(
      sent.some((m) => m.role === 'user' && m.content === P5),
      'the queued message follows the task it waited for',
    );
    await chat.locator('.notice', { hasText: 'Task completed' }).last().waitFor({ timeout: 60_000 });
    await chat.locator('.msg.assistant', { hasText: 'Here it is' }).locator('vscode-button[data-action="insert-code"]').click();
    const editor = page.locator('.monaco-editor .view-lines').first();
    await waitFor(
      'the code in README.md',
      async () => (/const\s+answer\s+=\s+42;/.test((await editor.textContent()) ?? '') ? true : undefined),
      15_000,
    );
    await screenshot(page, 'composer-5-inserted');
  });

  it('6 an attached image reaches the model as an image part; one over the size limit is refused in the composer', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 1)]);
    const file = chat.locator('#imageFile');
    await file.setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(1_600_000, 1) });
    await chat.locator('#composerNote', { hasText: 'Image not attached: huge.png is' }).waitFor({ timeout: 10_000 });
    await file.setInputFiles({ name: 'shot.png', mimeType: 'image/png', buffer: png });
    await chat.locator('#images .image-chip', { hasText: 'shot.png' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'composer-6-image-attached');
    const before = rig.fake!.requests.length;
    await sendPrompt(page, chat, 'What is in this picture?');
    await chat.locator('.msg.assistant', { hasText: 'I see a tiny image.' }).waitFor({ timeout: 90_000 });
    const last = (rig.fake!.requests[before]!.body as { messages: Array<{ role: string; content: unknown }> }).messages.at(-1)!;
    assert.deepEqual(last, {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in this picture?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
      ],
    });
    assert.match(
      await chat.locator('.msg.user', { hasText: 'What is in this picture?' }).locator('.chip').innerText(),
      /image 1 \(png, 1 KB\)/,
    );
    assert.equal(await chat.locator('#images .image-chip').count(), 0, 'sent images leave the composer');
    await screenshot(page, 'composer-6-image-sent');
  });

  it("7 typing @ lists the folder's matching files; Tab takes the highlighted one", async () => {
    const input = chat.locator('vscode-textarea#input');
    await input.click();
    await page.keyboard.type('Look at @stat');
    const list = chat.locator('#mentions');
    await list.locator('.mention', { hasText: '@src/stats.js' }).waitFor({ timeout: 15_000 });
    assert.deepEqual((await list.locator('.mention').allTextContents()).slice(0, 2), ['@src/stats.js', '@test/stats.test.js']);
    assert.equal(await list.locator('.mention.active').innerText(), '@src/stats.js', 'the shortest path first');
    await screenshot(page, 'composer-7-mentions');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    assert.equal(await input.evaluate((e) => (e as HTMLElement & { value: string }).value), 'Look at @test/stats.test.js ');
    assert.equal(await list.isHidden(), true);
    await input.evaluate((e) => {
      (e as HTMLElement & { value: string }).value = '';
    });
  });
});
