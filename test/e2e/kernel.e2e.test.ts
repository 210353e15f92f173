// E2E: the packaged extension in a real VS Code (code-server) driven by Chromium — palette, status bar, notifications,
// an extension-host suite, and workspace trust. Needs `bash scripts/setup-e2e.sh` and a container engine.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { readConfig, statePaths } from '../../bootstrap';
import {
  ARTIFACTS_DIR,
  type Browser,
  bundleSuite,
  findWebview,
  openFile,
  CodeServer,
  kernelContainers,
  launchBrowser,
  makeWorkspace,
  openWorkbench,
  removeKernelContainers,
  REPO_ROOT,
  runCommand,
  runExtensionTests,
  screenshot,
  statusBarEntryNames,
  tempDir,
  waitForNotification,
  waitForStatusBar,
  withPage,
} from './harness';

const execFileP = promisify(execFile);
const KERNEL_ITEM = 'airlock.kernel';

function saveArtifact(name: string, text: string): void {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS_DIR, name), text);
}

describe('e2e: Airlock in a real VS Code (code-server + Chromium)', function () {
  this.timeout(180_000);
  let tmp: string;
  let cs: CodeServer;
  let browser: Browser;
  let installed: string;
  let suiteJs: string;
  let failingJs: string;
  let trusted: string;
  let untrusted: string;

  /** Where bootstrap keeps a folder's kernel state: the extension host inherits the server's XDG_STATE_HOME. */
  const kernelStateDir = (folder: string) =>
    statePaths(readConfig({ workspace: folder, stateRoot: path.join(cs.dirs.xdg.XDG_STATE_HOME!, 'airlock') })).root;

  before(async () => {
    trusted = makeWorkspace(
      { 'src/hello.ts': 'export const hello = "world";\n', 'NOTES.md': '# Airlock e2e notes\n\nRendered in a webview.\n' },
      'trusted',
    );
    untrusted = makeWorkspace({ 'README.md': "# someone else's code\n" }, 'untrusted');
    tmp = tempDir('run');
    const vsix = path.join(tmp, 'airlock.vsix');
    // Package first (esbuild + vsce), copying the .vsix away at once: other builds may rewrite dist/ meanwhile.
    const packaged = (async () => {
      // --no-rewrite-relative-links: vsce refuses README's relative links when package.json names no repository.
      await execFileP('npm', ['run', 'package', '--', '--no-rewrite-relative-links'], { cwd: REPO_ROOT, timeout: 120_000 });
      fs.copyFileSync(path.join(REPO_ROOT, 'dist', 'airlock.vsix'), vsix);
    })();
    // allSettled, not all: everything started must be assigned so after() can stop it even when one step fails.
    const results = await Promise.allSettled([
      CodeServer.start({ settings: { 'security.workspace.trust.enabled': false } }).then((s) => {
        cs = s;
      }),
      packaged,
      bundleSuite(path.join(__dirname, 'suite', 'index.ts'), path.join(tmp, 'suite', 'index.js')).then((f) => {
        suiteJs = f;
      }),
      bundleSuite(path.join(__dirname, 'suite', 'failing.ts'), path.join(tmp, 'suite', 'failing.js')).then((f) => {
        failingJs = f;
      }),
      launchBrowser().then((b) => {
        browser = b;
      }),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    installed = await cs.installExtension(vsix);
  });

  after(async () => {
    await browser?.close();
    await cs?.stop();
    await Promise.all([trusted, untrusted].filter(Boolean).map((ws) => removeKernelContainers(ws)));
    for (const d of [tmp, trusted, untrusted]) if (d) fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
  });

  it('installs the .vsix with its bundled kernel', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    assert.equal(`${manifest.publisher}.${manifest.name}`, 'airlock.airlock');
    assert.ok(fs.existsSync(path.join(installed, 'dist', 'extension.js')));
    assert.ok(fs.existsSync(path.join(installed, 'dist', 'kernel', 'kernel.js')));
  });

  it('activates, starts the kernel and "Airlock: Show Kernel Status" succeeds from the command palette', async () => {
    await withPage(browser, 'kernel-status', async (page) => {
      await openWorkbench(page, cs.folderUrl(trusted));
      const item = await waitForStatusBar(page, KERNEL_ITEM, /Airlock: ready/, 60_000);
      assert.match(item.ariaLabel, /kernel is running/);
      assert.ok((await statusBarEntryNames(page)).includes('Airlock Kernel'), 'the status bar item is named "Airlock Kernel"');
      await runCommand(page, 'Airlock: Show Kernel Status');
      const message = await waitForNotification(page, (m) => m.includes('Airlock kernel') && m.includes('is ready'));
      assert.match(message, /ping \d+(\.\d+)? ms \((docker|podman) /);
      await runCommand(page, 'Notifications: Show Notifications'); // keep the message in the picture
      await screenshot(page, 'kernel-status');
      const containers = await kernelContainers(trusted);
      assert.equal(
        containers.filter((c) => c.state === 'running').length,
        1,
        `one running kernel for the workspace: ${JSON.stringify(containers)}`,
      );
    });
  });

  it('reaches content inside a webview (harness check with the built-in Markdown preview)', async () => {
    await withPage(browser, 'webview', async (page) => {
      await openWorkbench(page, cs.folderUrl(trusted));
      await openFile(page, 'NOTES.md');
      await runCommand(page, 'Markdown: Open Preview');
      const preview = await findWebview(page, 'h1');
      assert.equal((await preview.locator('h1').innerText()).trim(), 'Airlock e2e notes');
    });
  });

  it('runs the extension-host suite in the same VS Code and it exits 0', async () => {
    const run = await runExtensionTests(await browser.newPage(), {
      baseUrl: cs.url,
      folder: trusted,
      extensionDevelopmentPath: installed,
      extensionTestsPath: suiteJs,
    });
    const report = run.console.join('\n');
    saveArtifact('extension-host-suite.log', report);
    assert.equal(run.code, 0, `extension-host suite failed (exit ${run.code}):\n${run.console.slice(-40).join('\n')}`);
    // The report mirrored from the extension host proves the suite ran, not just that the window closed cleanly.
    assert.match(report, /✔ Show Kernel Status round-trips a ping to the kernel container/);
    assert.match(report, /\b[1-9]\d* passing\b/);
    assert.doesNotMatch(report, /\d+ failing/);
  });

  it('reports a failing extension-host suite with a non-zero exit (harness self-check)', async () => {
    const run = await runExtensionTests(await browser.newPage(), {
      baseUrl: cs.url,
      folder: trusted,
      extensionDevelopmentPath: installed,
      extensionTestsPath: failingJs,
    });
    assert.notEqual(run.code, 0);
    assert.match(run.console.join('\n'), /\b1 failing\b/);
  });

  it('stays off in an untrusted workspace and starts no kernel', async () => {
    cs.updateSettings({ 'security.workspace.trust.enabled': true });
    try {
      await withPage(browser, 'untrusted-workspace', async (page) => {
        await openWorkbench(page, cs.folderUrl(untrusted));
        await waitForStatusBar(page, KERNEL_ITEM, /Airlock: off/, 30_000);
        await runCommand(page, 'Airlock: Show Kernel Status');
        await waitForNotification(page, (m) => m.includes('stays disabled in untrusted workspaces'));
        await runCommand(page, 'Notifications: Show Notifications');
        await screenshot(page, 'untrusted-workspace');
        assert.deepEqual(await kernelContainers(untrusted), [], 'no kernel container for the untrusted folder');
        assert.equal(fs.existsSync(kernelStateDir(untrusted)), false, 'no kernel state for the untrusted folder');
        // Controls: the trusted folder, opened by the same server, does have both.
        assert.equal((await kernelContainers(trusted)).length, 1);
        assert.equal(fs.existsSync(kernelStateDir(trusted)), true);
      });
    } finally {
      cs.updateSettings({ 'security.workspace.trust.enabled': false });
    }
  });
});
