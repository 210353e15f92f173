// E2E in a real VS Code (code-server + Chromium), one server for the file: Start Task from the palette → streamed chat →
// approval → patch set card → diff with per-hunk CodeLens → accept one hunk, reject the other, merge → file on disk →
// Audit Log → Stop → reload restores the session; then the same flow as an extension-host suite. Screenshots per step.
import * as assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { FrameLocator } from 'playwright-core';
import {
  ARTIFACTS_DIR,
  type Browser,
  bundleSuite,
  CodeServer,
  type E2EPage,
  findWebview,
  kernelContainers,
  launchBrowser,
  openWorkbench,
  removeKernelContainers,
  REPO_ROOT,
  runCommand,
  runExtensionTests,
  screenshot,
  tempDir,
  waitFor,
  waitForStatusBar,
} from './harness';
import {
  ASKED_PATH,
  ASKED_REASON,
  expectedAfterMerge,
  FINAL_TEXT,
  FLOW_PROMPT,
  HEADER_OLD,
  SET_ADDED,
  SET_FILES,
  SORT_NEW,
  STATS,
  writeFlowWorkspace,
} from './suite/flowFixture';

const execFileP = promisify(execFile);
const CODELENS = '.monaco-editor .codelens-decoration a';

describe('e2e flow: a task from the palette to a reviewed merge, in a real VS Code', function () {
  this.timeout(150_000);
  let tmp: string;
  let ws: string;
  let original: string;
  let cs: CodeServer;
  let browser: Browser;
  let page: E2EPage;
  let installed: string;
  let suiteJs: string;
  let chat: FrameLocator;
  let multiRootFolder: string | undefined;
  /** Everything the extension wrote to its log channel, in every extension host of this server. */
  const extensionLog = () => {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const f = path.join(d, e.name);
        if (e.isDirectory()) walk(f);
        else if (e.name === 'Airlock.log') out.push(fs.readFileSync(f, 'utf8'));
      }
    };
    walk(path.join(cs.dirs.userData, 'logs'));
    return out.join('\n');
  };

  const disk = () => fs.readFileSync(path.join(ws, STATS), 'utf8');
  const lens = (text: string) => page.locator(CODELENS, { hasText: new RegExp(`^\\s*${text}\\s*$`) });
  /** The chat's transcript text (the virtual list keeps the rows near the bottom in the DOM). */
  const transcript = () => chat.locator('#log').innerText();
  const openChat = async (timeoutMs = 60_000) => {
    await runCommand(page, 'Airlock: Open Chat');
    chat = await findWebview(page, '#log', timeoutMs);
  };

  before(async () => {
    tmp = tempDir('flow');
    ws = tempDir('flow-ws');
    ({ original } = writeFlowWorkspace(ws, REPO_ROOT));
    const vsix = path.join(tmp, 'airlock.vsix');
    const results = await Promise.allSettled([
      (async () => {
        await execFileP('node', ['scripts/build.mjs', '--production'], { cwd: REPO_ROOT, timeout: 180_000 });
        await execFileP(
          'npx',
          ['vsce', 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', vsix],
          { cwd: REPO_ROOT, timeout: 180_000 },
        );
      })(),
      // The .vsix alone: the checkout hidden from the server and no node/npm on its PATH.
      CodeServer.start({
        isolated: { hide: [REPO_ROOT] },
        settings: { 'security.workspace.trust.enabled': false, 'workbench.editor.enablePreview': false },
      }).then((s) => {
        cs = s;
      }),
      bundleSuite(path.join(__dirname, 'suite', 'flow.ts'), path.join(tmp, 'suite', 'flow.js')).then((f) => {
        suiteJs = f;
      }),
      launchBrowser().then((b) => {
        browser = b;
      }),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    installed = await cs.installExtension(vsix);
    page = await browser.newPage();
  });

  it('0 runs the .vsix alone: the server sees no checkout and has no node or npm on its PATH', () => {
    const seen = spawnSync('nsenter', ['-t', String(cs.pid), '-m', 'ls', '-A', REPO_ROOT], { encoding: 'utf8' });
    assert.equal(seen.status, 0, seen.stderr);
    assert.equal(seen.stdout.trim(), '', `the checkout (${REPO_ROOT}) is an empty folder to the server`);
    const env = Object.fromEntries(
      fs
        .readFileSync(`/proc/${cs.pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    for (const tool of ['node', 'npm', 'npx']) {
      assert.notEqual(
        spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { env: { PATH: env.PATH } }).status,
        0,
        `${tool} is not on the server's PATH`,
      );
    }
    assert.equal(spawnSync('/bin/sh', ['-c', 'command -v git'], { env: { PATH: env.PATH } }).status, 0, 'other tools are');
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !page || page.isClosed()) return;
    const name = `flow-failure-${(this.currentTest.title.match(/^\d+/) ?? ['x'])[0]}`;
    await screenshot(page, name).catch(() => undefined);
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(ARTIFACTS_DIR, `${name}.log`), page.consoleLines.join('\n'));
  });

  after(async () => {
    await browser?.close();
    await cs?.stop();
    for (const f of [ws, multiRootFolder]) if (f) await removeKernelContainers(f);
    for (const d of [tmp, ws]) if (d) fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
  });

  it('1 starts a task from the command palette and streams it into the chat panel', async () => {
    await openWorkbench(page, cs.folderUrl(ws), 60_000);
    await waitForStatusBar(page, 'airlock.kernel', /Airlock: ready/, 120_000);
    await runCommand(page, 'Airlock: Start Task');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(FLOW_PROMPT);
    await page.keyboard.press('Enter');
    chat = await findWebview(page, '#log', 60_000);
    await chat.locator('.msg.assistant', { hasText: 'statistics' }).first().waitFor({ timeout: 60_000 });
    assert.match(await transcript(), new RegExp(FLOW_PROMPT.replace(/[()]/g, '\\$&')));
    // The answer arrives as markdown: **statistics** is bold, `median` is code.
    assert.equal(await chat.locator('.msg.assistant strong', { hasText: 'statistics' }).count(), 1);
    await screenshot(page, 'flow-1-streaming');
  });

  it('2 asks once — for the CI workflow file the policy marks `ask`; "Allow for this session" lets the task finish', async () => {
    const card = chat.locator('.approval.pending');
    await card.waitFor({ timeout: 60_000 });
    const text = await card.innerText();
    assert.match(text, /Approval needed: fs\.write/);
    assert.match(text, new RegExp(ASKED_REASON));
    assert.match(text, new RegExp(ASKED_PATH.replace(/[./]/g, '\\$&')));
    const allowSession = card.locator('vscode-button[data-answer="allow-session"]');
    assert.equal(await allowSession.getAttribute('disabled'), null, 'Allow for this session is enabled');
    await allowSession.scrollIntoViewIfNeeded();
    await screenshot(page, 'flow-2-approval');
    await allowSession.click();
    await chat.locator('.approval.allowed-session').waitFor({ timeout: 30_000 });
    await chat.locator('.notice', { hasText: 'Task completed' }).waitFor({ timeout: 90_000 });
    assert.match(await transcript(), /now sorts numerically, and CI runs the tests/);
    assert.equal(await chat.locator('.approval').count(), 1, 'exactly one approval');
    assert.equal(await chat.locator('.card.tool.done[title="Tool exec"]').count(), 1, 'the tests ran in the sandbox');
    await screenshot(page, 'flow-2-approved');
  });

  it('3 the chat links the produced patch set; Review opens the diff with per-hunk CodeLens', async () => {
    const card = chat.locator('.patchset');
    await card.waitFor({ timeout: 30_000 });
    assert.match(await card.innerText(), new RegExp(`${SET_FILES} files\\s*\\+${SET_ADDED}\\s*−2`));
    await screenshot(page, 'flow-3-patchset');
    await card.locator('vscode-button[data-action="open-patchset"]').click();
    // Review focuses the Patches view and opens the set's first file; the set's files are listed there.
    const tree = page.locator('.pane', { hasText: 'Patches' });
    await page.locator('.monaco-diff-editor').first().waitFor({ timeout: 30_000 });
    const statsRow = page.locator('.monaco-list-row', { hasText: 'src/stats.js' });
    if (!(await statsRow.count())) await tree.locator('.monaco-list-row').first().click(); // expand the set
    await statsRow.first().click();
    await page.locator('.tab.active', { hasText: 'stats.js ↔ proposed' }).waitFor({ timeout: 30_000 });
    await waitFor('two hunk CodeLens', async () => ((await lens('Accept hunk').count()) === 2 ? true : undefined), 30_000);
    assert.equal(await lens('Reject hunk').count(), 2);
    assert.equal(await lens('Merge accepted').count(), 1);
    await screenshot(page, 'flow-3-diff');
  });

  it('4 accepts one hunk and rejects the other inline; Merge writes only the accepted hunk to disk', async () => {
    // Hunk 1 is the header comment (line 1), hunk 2 the numeric sort: accept the sort, reject the header.
    await lens('Accept hunk').nth(1).click();
    await lens('Accepted').waitFor({ timeout: 30_000 });
    await lens('Reject hunk').first().click();
    await lens('Rejected').waitFor({ timeout: 30_000 });
    // Each decided hunk is also marked on its line (a decoration: its text is the ::after box's content).
    const marks = `[...document.querySelectorAll('.monaco-diff-editor .editor.modified .view-line [class*="ced-"]')]
      .map((e) => getComputedStyle(e, '::after').content).join('|')`;
    await waitFor(
      'the accepted and rejected marks',
      async () => ((await page.evaluate(marks)) as string).match(/accepted.*rejected|rejected.*accepted/) ?? undefined,
      15_000,
    );
    await screenshot(page, 'flow-4-decided');
    // The CI workflow file is rejected as a whole from the Patches view (inline action on the file).
    const ciRow = page.locator('.monaco-list-row', { hasText: 'test.yml' }).first();
    await ciRow.hover();
    await ciRow.locator('.action-label[aria-label="Reject All in File"], .action-label[aria-label^="Reject"]').first().click();
    await page
      .locator('.monaco-list-row', { hasText: /test\.yml.*rejected/ })
      .first()
      .waitFor({ timeout: 15_000 });
    await lens('Merge accepted').click();
    await waitFor('the merged file on disk', async () => (disk() === expectedAfterMerge(original) ? true : undefined), 30_000);
    assert.ok(disk().includes(SORT_NEW) && disk().includes(HEADER_OLD), 'accepted hunk applied, rejected hunk not');
    assert.equal(fs.existsSync(path.join(ws, ASKED_PATH)), false, 'the rejected file was not created');
    await page
      .locator('.notification-toast', { hasText: /Merged 1 file\(s\) from ps_/ })
      .first()
      .waitFor({ timeout: 15_000 });
    // The stale proposed diff closed; the merged file itself is open.
    await page.locator('.tab.active', { hasText: 'stats.js' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.tab', { hasText: '↔ proposed' }).count(), 0);
    await screenshot(page, 'flow-4-merged');
  });

  it('5 the Audit Log view lists the review decisions and the merge', async () => {
    await runCommand(page, 'Airlock: Open Audit Log');
    const audit = await findWebview(page, '#verify', 60_000);
    const action = audit.locator('vscode-textfield[name="action"]');
    await action.click();
    await page.keyboard.type('review.*');
    await page.keyboard.press('Enter');
    await waitFor(
      'review.merged and review.decide rows',
      async () => {
        const rows = await audit.locator('#table').innerText();
        return /review\.merged/.test(rows) && /review\.decide/.test(rows) && /review\.generated/.test(rows) ? true : undefined;
      },
      30_000,
    );
    // Opening the view verified the chain now (not just at kernel start): the count includes this task's entries.
    await waitFor(
      'a fresh verification',
      async () => (/Intact:.*\b([2-9]\d|\d{3,}) entries/.test(await audit.locator('#verify').innerText()) ? true : undefined),
      30_000,
    );
    await audit.locator('#table .vl-row', { hasText: 'review.merged' }).click();
    await waitFor(
      'the merge entry details',
      async () => (/mergeId/.test(await audit.locator('#details').innerText()) ? true : undefined),
      15_000,
    );
    assert.match(await audit.locator('#details').innerText(), new RegExp(STATS.replace('.', '\\.')));
    await screenshot(page, 'flow-5-audit');
  });

  it('6 stops a running task with the Stop button', async () => {
    await openChat();
    const input = chat.locator('vscode-textarea#input');
    await input.click();
    await page.keyboard.type('Fix median() again');
    await page.keyboard.press('Enter');
    await chat.locator('.approval.pending').waitFor({ timeout: 60_000 });
    const stop = chat.locator('vscode-button#stop');
    assert.equal(await stop.isVisible(), true, 'Stop shows while the task runs');
    await screenshot(page, 'flow-6-running');
    await stop.click();
    await chat.locator('.notice', { hasText: 'Task cancelled' }).waitFor({ timeout: 30_000 });
    await chat.locator('.approval.expired').waitFor({ timeout: 10_000 });
    assert.equal(await stop.isVisible(), false, 'Stop hides once the task ended');
    await screenshot(page, 'flow-6-stopped');
  });

  it('7 finds the session restored in the chat panel after a window reload', async () => {
    await page.reload({ waitUntil: 'domcontentloaded' });
    await openWorkbench(page, page.url(), 60_000);
    await openChat(20_000).catch(async () => {
      // VS Code 1.100's web webview host can wait forever for a service-worker `controllerchange` when several webviews
      // come back after a reload (console: "Found unexpected service worker controller"; fixed upstream in
      // microsoft/vscode#312020; desktop VS Code has no service worker). A fresh webview for the view is controlled.
      fs.appendFileSync(
        path.join(ARTIFACTS_DIR, 'flow-notes.log'),
        'chat webview stalled after reload (code-server service worker); view re-created\n',
      );
      await runCommand(page, 'View: Close Primary Side Bar');
      await openChat();
    });
    await chat.locator('.notice', { hasText: 'Task cancelled' }).waitFor({ timeout: 30_000 });
    const text = await transcript();
    assert.match(text, /Fix median\(\) again/);
    assert.match(text, /Expired/);
    assert.match((await chat.locator('#sessions').getAttribute('title')) ?? '', /Fix median\(\) so it sorts/);
    // Scroll up: the first task's patch-set card is part of the same restored session. The log renders only the rows
    // in view, so it is looked for page by page from the top.
    const log = chat.locator('#log');
    await log.evaluate((el) => {
      el.scrollTop = 0;
    });
    await waitFor(
      "the first task's patch-set card in the restored session, in view",
      async () => {
        // Found and brought into view in one step: the list may re-render between the two (it keeps only rows in view).
        const card = chat.locator('.patchset').first();
        if (
          (await card.count()) &&
          (await card.scrollIntoViewIfNeeded({ timeout: 2_000 }).then(
            () => true,
            () => false,
          ))
        )
          return true;
        await log.evaluate((el) => {
          el.scrollTop += el.clientHeight / 2;
        });
        return undefined;
      },
      30_000,
      250,
    );
    await screenshot(page, 'flow-7-restored');
  });

  it('8 Set API Key keeps the key in secret storage and hands it to the kernel, again after a restart', async () => {
    const KEY = 'sk-ant-e2e-0123456789abcdefghijklmnop';
    await runCommand(page, 'Airlock: Set API Key');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('anthropic');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget', { hasText: 'API key for anthropic' }).waitFor({ timeout: 10_000 });
    assert.equal(await input.getAttribute('type'), 'password', 'the key is typed into a password box');
    await input.fill(KEY);
    await page.keyboard.press('Enter');
    const sent = () => (extensionLog().match(/sent the anthropic API key to the kernel/g) ?? []).length;
    await waitFor('the key to reach the kernel', async () => (sent() >= 1 ? true : undefined), 15_000);
    await screenshot(page, 'flow-8-api-key');
    // A restarted kernel is a new process without keys: the extension sends it again once it is ready.
    const before = sent();
    await runCommand(page, 'Airlock: Restart Kernel');
    await waitFor('the key to be sent again after the restart', async () => (sent() > before ? true : undefined), 60_000);
    await waitForStatusBar(page, 'airlock.kernel', /Airlock: ready/, 60_000);
    // Never in settings or logs.
    for (const f of [cs.settingsFile, path.join(ws, '.vscode', 'settings.json')])
      assert.doesNotMatch(fs.readFileSync(f, 'utf8'), /sk-ant-e2e/);
    assert.doesNotMatch(extensionLog(), /sk-ant-e2e/);
  });

  it('9 runs the same flow as an extension-host suite in this VS Code', async () => {
    await page.close();
    fs.writeFileSync(path.join(ws, STATS), original); // the suite reviews the same two hunks again
    const run = await runExtensionTests(await browser.newPage(), {
      baseUrl: cs.url,
      folder: ws,
      extensionDevelopmentPath: installed,
      extensionTestsPath: suiteJs,
      timeoutMs: 140_000,
    });
    const report = run.console.join('\n');
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(ARTIFACTS_DIR, 'flow-extension-host-suite.log'), report);
    assert.equal(run.code, 0, `flow suite failed (exit ${run.code}):\n${run.console.slice(-60).join('\n')}`);
    assert.match(report, /\b5 passing\b/);
  });

  it('10 multi-root: the person picks the folder once; the choice is remembered for the workspace', async () => {
    const other = path.join(tmp, 'second-folder');
    fs.mkdirSync(path.join(other, 'src'), { recursive: true });
    fs.writeFileSync(path.join(other, 'src', 'index.js'), 'module.exports = 1;\n');
    const file = path.join(tmp, 'multi.code-workspace');
    fs.writeFileSync(file, JSON.stringify({ folders: [{ path: ws }, { path: other }] }));
    const url = new URL(cs.url);
    url.searchParams.set('workspace', file);
    multiRootFolder = other;
    page = await browser.newPage();
    const p = page;
    await openWorkbench(p, url.toString(), 60_000);
    // code-server sometimes opens a .code-workspace without its folders ("You have not yet added a folder"); a
    // reload loads them. Recorded, so a run that needed it is visible.
    const noFolders = p.getByText('You have not yet added a folder to the workspace');
    for (let i = 0; i < 3; i++) {
      await p.waitForTimeout(4000);
      if (!(await noFolders.isVisible().catch(() => false))) break;
      fs.appendFileSync(path.join(ARTIFACTS_DIR, 'flow-notes.log'), 'step 10: the workspace opened without its folders; reloaded\n');
      await openWorkbench(p, url.toString(), 60_000);
    }
    const pick = p.locator('.quick-input-widget', { hasText: 'Airlock: Select Folder' });
    const asked = await pick.waitFor({ state: 'visible', timeout: 45_000 }).then(
      () => true,
      () => false,
    );
    if (!asked) {
      // On a loaded machine the workbench can close a QuickPick opened while it is still restoring; the views then
      // say to pick a folder, and the command is the way back. Recorded, so a run that needed it is visible.
      fs.appendFileSync(
        path.join(ARTIFACTS_DIR, 'flow-notes.log'),
        'step 10: the startup folder pick was not visible; used Airlock: Select Folder\n',
      );
      await p.keyboard.press('F1');
      await p.locator('.quick-input-widget .quick-input-box input').fill('>Airlock: Select Folder');
      await p
        .locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Select Folder' })
        .first()
        .waitFor({ state: 'visible', timeout: 20_000 });
      await p.keyboard.press('Enter');
    }
    const secondRow = p.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'second-folder' });
    await secondRow.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await p.locator('.quick-input-widget .quick-input-list .monaco-list-row').count(), 2, 'both folders offered');
    await screenshot(p, 'flow-10-pick-folder');
    await secondRow.click();
    await waitForStatusBar(p, 'airlock.kernel', /Airlock: ready/, 90_000);
    const running = (await kernelContainers(other)).filter((c) => c.state === 'running');
    assert.equal(running.length, 1, 'the kernel runs for the picked folder');
    await p.reload({ waitUntil: 'domcontentloaded' });
    await openWorkbench(p, p.url(), 60_000);
    await waitForStatusBar(p, 'airlock.kernel', /Airlock: ready/, 60_000);
    await p.waitForTimeout(1500);
    assert.equal(await pick.isVisible(), false, 'no second question: the pick is remembered');
    const picked = extensionLog().match(/working on folder .*/g) ?? [];
    assert.equal(picked.filter((l) => l.endsWith(other)).length, 2, `both windows worked on the picked folder: ${picked.join(' | ')}`);
    await p.close();
  });
});
