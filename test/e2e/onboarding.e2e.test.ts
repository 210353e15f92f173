// E2E in a real VS Code (code-server + Chromium): the first run. No model set up → the chat's form (not CLI advice or an
// error dialog) → "Try it with a recorded session" runs a replay → the form's key goes to SecretStorage and reaches the
// model server, and the choice lands in the user's settings, not the repository's. Screenshots per step.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { chatTurn } from '../fakes/openai';
import { type ChatRig, openChat, sendPrompt, useChatRig } from './chatRig';
import { openWorkbench, screenshot, waitFor, waitForStatusBar } from './harness';

const KEY = 'sk-e2e-onboarding-0123456789abcdef';
const ANSWER = 'Hello from your own model server.';

describe('e2e onboarding: the first run in the chat', function () {
  this.timeout(240_000);
  let page: ChatRig['page'];
  let chat: FrameLocator;
  /** Types into a form field like a person; a keystroke lost while the field takes focus is typed again. */
  const setField = async (id: string, value: string) => {
    const field = chat.locator(`#${id}`);
    const current = () => field.evaluate((e) => (e as HTMLElement & { value: string }).value);
    for (let i = 0; i < 4 && (await current()) !== value; i++) {
      await field.click();
      // Keys typed before the field has the focus go elsewhere (a row just shown takes it a moment later on a busy
      // machine: a clean-clone rehearsal lost the URL's first 12 characters three times): wait for it (at most 5 s).
      await waitFor(
        'the field to have the focus',
        async () => ((await field.evaluate((e) => e.matches(':focus-within'))) ? true : undefined),
        5_000,
        50,
      ).catch(() => undefined);
      await page.keyboard.press('Control+A');
      await page.keyboard.type(value, { delay: i === 0 ? 0 : 20 });
    }
    assert.equal(await current(), value);
  };

  const rig = useChatRig('onboarding', { noModel: true, responses: [chatTurn({ text: [ANSWER], usage: { input: 50, output: 5 } })] });
  before(() => {
    page = rig.page!;
  });

  it('1 with no model the chat shows the setup form; "Try it with a recorded session" runs a replay', async () => {
    await openWorkbench(page, rig.cs!.folderUrl(rig.ws!), 60_000);
    await waitForStatusBar(page, 'airlock.kernel', /Airlock: ready/, 120_000);
    chat = await openChat(page);
    const form = chat.locator('#setup');
    await form.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await form.innerText(), /Set up a model[\s\S]*No model is set up yet\./);
    assert.equal(await chat.locator('vscode-button#send').getAttribute('disabled'), '', 'Send waits for a model');
    await screenshot(page, 'onboarding-1-form');
    await chat.locator('vscode-button#setup-try').click();
    await chat.locator('.msg.assistant', { hasText: 'project layout' }).first().waitFor({ timeout: 60_000 });
    await chat.locator('.notice', { hasText: /^Task completed/ }).waitFor({ timeout: 120_000 });
    assert.equal(rig.fake!.requests.length, 0, 'the recorded session needs no model server');
    await screenshot(page, 'onboarding-1-recorded');
  });

  it('2 the form stores the key in secret storage and the choice in user settings; the next task reaches the server with it', async () => {
    // With a transcript on screen the form is folded to one line; it opens with a click (or Enter on its summary).
    assert.equal(await chat.locator('#setup details').getAttribute('open'), null);
    await chat.locator('#setup summary').click();
    await chat.locator('#setup-provider').selectOption('openai-compatible');
    await chat.locator('#setup-url-row').waitFor({ state: 'visible', timeout: 5_000 });
    await setField('setup-model', 'fake-model');
    await setField('setup-key', KEY);
    await setField('setup-url', `${rig.fake!.url}/v1`);
    await screenshot(page, 'onboarding-2-filled');
    await chat.locator('vscode-button#setup-save').click();
    await chat.locator('#setup').waitFor({ state: 'hidden', timeout: 30_000 });
    const saved = Date.now();
    await chat.locator('.notice', { hasText: 'Set up: tasks use openai-compatible' }).waitFor({ timeout: 20_000 });
    console.log(`      (the setup notice after ${Date.now() - saved} ms)`);
    // User settings; a machine-scoped setting (the base URL) goes to the remote machine's settings under code-server.
    const files = [rig.cs!.settingsFile, path.join(rig.cs!.dirs.userData, 'Machine', 'settings.json')].filter((f) => fs.existsSync(f));
    const user = Object.assign({}, ...files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')))) as Record<string, unknown>;
    assert.deepEqual(
      [user['airlock.provider'], user['airlock.model'], user['airlock.baseUrl']],
      ['openai-compatible', 'fake-model', `${rig.fake!.url}/v1`],
    );
    for (const f of files) assert.ok(!fs.readFileSync(f, 'utf8').includes(KEY), `the key is not a setting (${f})`);
    assert.equal(fs.existsSync(path.join(rig.ws!, '.vscode', 'settings.json')), false, 'nothing written into the repository');
    await sendPrompt(page, chat, 'Say hello');
    await chat.locator('.msg.assistant', { hasText: ANSWER }).waitFor({ timeout: 60_000 });
    await waitFor('the model request', async () => (rig.fake!.requests.length ? true : undefined), 10_000);
    assert.equal(rig.fake!.requests[0]!.headers.authorization, `Bearer ${KEY}`, 'the stored key reached the model server');
    await screenshot(page, 'onboarding-2-running');
  });
});
