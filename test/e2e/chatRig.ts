// Shared setup of the chat e2e files: the packaged extension in one code-server, Chromium, and a loopback fake
// OpenAI-compatible server the kernel (host networking) reaches; the workspace is a copy of the sample project.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import type { FrameLocator } from 'playwright-core';
import { startOpenAIFake } from '../fakes/openai';
import type { FakeResponse, FakeVendorServer } from '../fakes/server';
import {
  ARTIFACTS_DIR,
  type Browser,
  CodeServer,
  type E2EPage,
  findWebview,
  kernelContainers,
  launchBrowser,
  removeKernelContainers,
  REPO_ROOT,
  runCommand,
  screenshot,
  tempDir,
} from './harness';

const execFileP = promisify(execFile);

export interface ChatRig {
  tmp: string;
  ws: string;
  cs: CodeServer;
  browser: Browser;
  page: E2EPage;
  fake: FakeVendorServer;
}

/** Builds and installs the .vsix, starts code-server (its machine settings point airlock.baseUrl at the fake) and Chromium. */
export async function startChatRig(
  name: string,
  o: { files?: Record<string, string>; responses: FakeResponse[]; userSettings?: Record<string, unknown>; noModel?: boolean },
): Promise<ChatRig> {
  const tmp = tempDir(name);
  const ws = tempDir(`${name}-ws`);
  fs.cpSync(path.join(REPO_ROOT, 'examples', 'sample-project'), ws, { recursive: true });
  for (const [rel, text] of Object.entries(o.files ?? {})) {
    fs.mkdirSync(path.join(ws, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(path.join(ws, rel), text);
  }
  const fake = (await startOpenAIFake()).enqueue(...o.responses);
  const vsix = path.join(tmp, 'airlock.vsix');
  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  const results = await Promise.allSettled([
    (async () => {
      await execFileP('node', ['scripts/build.mjs', '--production'], { cwd: REPO_ROOT, timeout: 180_000 });
      const vsce = ['vsce', 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', vsix];
      await execFileP('npx', vsce, { cwd: REPO_ROOT, timeout: 180_000 });
    })(),
    // The base URL is machine-scoped (a workspace cannot redirect a key): code-server's window is a remote one, so it
    // goes into the remote machine settings, where the onboarding form and the Settings editor's Remote tab put it (in
    // the user settings VS Code drops it once it knows the setting's scope: after a reload, a task had no base URL).
    // `noModel`: a first run (no provider, model or base URL anywhere).
    CodeServer.start({
      settings: {
        'security.workspace.trust.enabled': false,
        'workbench.editor.enablePreview': false,
        'airlock.defaultMode': 'explore',
        ...(o.noModel ? {} : { 'airlock.provider': 'openai-compatible', 'airlock.model': 'fake-model' }),
        ...o.userSettings,
      },
      ...(o.noModel ? {} : { machineSettings: { 'airlock.baseUrl': `${fake.url}/v1` } }),
    }).then((s) => {
      cs = s;
    }),
    launchBrowser().then((b) => {
      browser = b;
    }),
  ]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  await cs!.installExtension(vsix);
  return { tmp, ws, cs: cs!, browser: browser!, page: await browser!.newPage(), fake };
}

/**
 * Registers a describe block's hooks: the rig starts before its tests (filled into the returned object), a failed test
 * saves `<name>-failure-<n>.png/.log`, and everything stops afterwards.
 */
export function useChatRig(name: string, options: Parameters<typeof startChatRig>[1]): Partial<ChatRig> {
  const rig: Partial<ChatRig> = {};
  before(async () => {
    Object.assign(rig, await startChatRig(name, options));
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await saveFailure(rig, name, this.currentTest.title);
  });
  after(async () => {
    await stopChatRig(rig);
  });
  return rig;
}

export async function stopChatRig(r: Partial<ChatRig>): Promise<void> {
  await r.browser?.close();
  await r.cs?.stop();
  await r.fake?.close();
  if (r.ws) await removeKernelContainers(r.ws);
  for (const d of [r.tmp, r.ws]) if (d) fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
}

/** On a failed test: `<prefix>-failure-<n>.png` and a log with the browser console and what the fake model received. */
export async function saveFailure(r: Partial<ChatRig>, prefix: string, title: string): Promise<void> {
  if (!r.page || r.page.isClosed()) return;
  const name = `${prefix}-failure-${(title.match(/^\d+/) ?? ['x'])[0]}`;
  await screenshot(r.page, name).catch(() => undefined);
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const ext = r.cs ? extensionLog(path.join(r.cs.dirs.userData, 'logs')) : '';
  fs.writeFileSync(
    path.join(ARTIFACTS_DIR, `${name}.log`),
    `${r.page.consoleLines.join('\n')}\n\nfake requests:\n${JSON.stringify(
      r.fake?.requests.map((q) => q.body),
      null,
      1,
    )}` + `\n\nextension log:\n${ext}`,
  );
  // CI keeps only the console: print what tells a failure's cause (what the chat shows, what the model was asked,
  // the extension's and the kernel's last words) where it will be read.
  const page = r.page;
  const shown = await findWebview(page, '#log', 3_000)
    .then((chat) => chat.locator('#log').innerText({ timeout: 2_000 }))
    .catch((e: Error) => `(chat not readable: ${e.message.split('\n')[0]})`);
  const kernels = r.ws ? await kernelLogs(r.ws) : '';
  console.log(
    [
      `--- ${name}: the chat shows (last 1500 chars):`,
      shown.slice(-1500),
      `--- fake model requests: ${r.fake?.requests.length ?? 0}`,
      '--- extension log (last 40 lines):',
      ext.trim().split('\n').slice(-40).join('\n'),
      '--- kernel logs (last 60 lines each):',
      kernels,
      '---',
    ].join('\n'),
  );
}

/** The last lines of each of the workspace's kernel containers' logs (running or stopped). */
async function kernelLogs(ws: string): Promise<string> {
  const out: string[] = [];
  for (const k of await kernelContainers(ws)) {
    const docker = new Docker({ socketPath: k.socket, timeout: 5000 });
    const buf = await docker
      .getContainer(k.id)
      .logs({ stdout: true, stderr: true, tail: 60, follow: false })
      .catch((e: Error) => Buffer.from(`(logs not readable: ${e.message})`));
    // Multiplexed frames carry an 8-byte header per chunk; printable text is what matters here.
    out.push(`[${k.name} ${k.state}]`, buf.toString('utf8').replace(/[\u0000-\u0008\u000e-\u001f]/g, ''));
  }
  return out.join('\n');
}

/** Everything the extension wrote to its log channel, in every extension host of the server. */
function extensionLog(dir: string): string {
  if (!fs.existsSync(dir)) return '';
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name === 'Airlock.log')
    .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

/** Opens the chat view and returns its frame. */
export async function openChat(page: E2EPage, timeoutMs = 60_000): Promise<FrameLocator> {
  await runCommand(page, 'Airlock: Open Chat');
  return findWebview(page, '#log', timeoutMs);
}

/** Types a prompt into the chat's composer and sends it with Enter. */
export async function sendPrompt(page: E2EPage, chat: FrameLocator, text: string): Promise<void> {
  await chat.locator('vscode-textarea#input').click();
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

/** The messages of the fake model's n-th request (0-based). */
export function requestMessages(fake: FakeVendorServer, i: number): Array<{ role: string; content?: string | null }> {
  return (fake.requests[i]?.body as { messages?: Array<{ role: string; content?: string | null }> } | undefined)?.messages ?? [];
}
