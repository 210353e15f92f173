// UI bench: activate() in a real VS Code (code-server), bundle load + activate() cold, kernel text delta → paint in the chat.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectKernel } from '../bootstrap/kernel';
import type { BootstrapConfig } from '../core/src/config/bootstrap';
import { statePaths } from '../core/src/config/bootstrap';
import { socketLink } from '../core/src/remote/link';
import { chatTurn } from '../test/fakes/openai';
import { openChat, sendPrompt, startChatRig, stopChatRig } from '../test/e2e/chatRig';
import {
  CodeServer,
  launchBrowser,
  makeWorkspace,
  openWorkbench,
  removeKernelContainers,
  screenshot,
  waitFor,
  waitForStatusBar,
} from '../test/e2e/harness';
import { nowMs, percentile, writeResults } from './lib';

const ROOT = path.join(__dirname, '..');

/** Every "activated in X ms" line the extension wrote to its log channel (one per extension host) under `dir`. */
function activationLines(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'Airlock.log')
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/activated in ([\d.]+) ms/g)) out.push(Number(m[1]));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/**
 * activate() start → return as the extension itself measures it (performance.now() around its body) inside the real
 * extension host of code-server, this checkout loaded as the development extension, a trusted folder on disk (so the
 * kernel start is really deferred). Each run is a fresh window (a new extension host).
 */
async function activationInVsCode(runs: number): Promise<number[]> {
  const ws = makeWorkspace({ 'README.md': '# bench\n' }, 'bench-ui');
  const cs = await CodeServer.start({ settings: { 'security.workspace.trust.enabled': false } });
  const browser = await launchBrowser().catch(async (e) => {
    await cs.stop();
    throw e;
  });
  try {
    const url = new URL(cs.folderUrl(ws));
    url.searchParams.set('payload', JSON.stringify([['extensionDevelopmentPath', `vscode-remote://${url.host}${ROOT}`]]));
    const logs = path.join(cs.dirs.userData, 'logs');
    for (let i = 0; i < runs; i++) {
      const page = await browser.newPage();
      await openWorkbench(page, url.toString(), 60_000);
      await waitFor('the extension to log its activation time', async () => (activationLines(logs).length > i ? true : undefined), 60_000);
      await page.close();
    }
    return activationLines(logs);
  } finally {
    await browser.close();
    await cs.stop();
    await removeKernelContainers(ws);
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

/**
 * Bundle load + activate() in a fresh Node process per sample (a cold extension host loads the bundle once): the child
 * requires dist/extension.js with a stub `vscode` module and calls activate(); the time runs from just before the
 * require to activate()'s return. The stub answers every vscode API call at once, so this is our code's own cost.
 */
const ACTIVATE_CHILD = String.raw`
const Module = require('node:module');
const stub = (o = {}) => { const fn = function () {}; const p = new Proxy(fn, { get: (_t, k) => k in o ? o[k] : k === 'then' ? undefined
  : k === Symbol.toPrimitive ? () => 0 : k === 'dispose' ? () => undefined : p, set: () => true, apply: () => p, construct: () => p }); return p; };
const ws = process.argv[2];
const vscode = { workspace: stub({ isTrusted: true, workspaceFolders: [{ uri: { scheme: 'file', fsPath: ws } }], textDocuments: [] }),
  window: stub({ withProgress: () => new Promise(() => undefined) }), chat: undefined };
for (const k of ['commands', 'languages', 'env', 'Uri', 'ProgressLocation', 'StatusBarAlignment', 'ThemeIcon', 'TreeItem', 'TreeItemCollapsibleState',
  'ViewColumn', 'EventEmitter', 'Disposable', 'MarkdownString', 'FileSystemError', 'ConfigurationTarget', 'Range', 'CodeLens', 'WorkspaceEdit', 'lm']) vscode[k] = stub();
const orig = Module._resolveFilename;
Module._resolveFilename = (r, ...a) => (r === 'vscode' ? 'vscode' : orig.call(Module, r, ...a));
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscode };
const t0 = performance.now();
const ext = require(process.argv[3]);
ext.activate({ subscriptions: [], extensionUri: stub(), extension: stub({ packageJSON: { version: '0.0.0' } }), workspaceState: stub({ get: () => undefined, update: async () => undefined }), globalState: stub({ get: () => undefined }), secrets: stub() });
process.stdout.write(String(performance.now() - t0));
process.exit(0);
`;

function activationWithLoad(runs: number): number[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bench-ui-'));
  const child = path.join(dir, 'activate.cjs');
  fs.writeFileSync(child, ACTIVATE_CHILD);
  try {
    return Array.from({ length: runs }, () => {
      const r = spawnSync(process.execPath, [child, dir, path.join(ROOT, 'dist/extension.js')], { encoding: 'utf8', timeout: 60_000 });
      const ms = Number(r.stdout);
      if (r.status !== 0 || !Number.isFinite(ms)) throw new Error(`activation child failed (${r.status}): ${r.stderr.slice(-2000)}`);
      return ms;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Kernel event → paint, in code-server: the packaged extension, its chat view in Chromium, a fake OpenAI server
 * streaming each answer as `chunks` deltas 25 ms apart. A second client on the kernel's socket stamps every
 * `task/event` text delta as it arrives (the kernel forwards each event to every client at once); inside the chat
 * webview a MutationObserver waits for the delta's text to appear, then for the next animation frame (the paint).
 * Both clocks are this machine's wall clock (performance.timeOrigin + performance.now()).
 */
async function tokenToPaint(turns: number, chunks: number): Promise<number[]> {
  const responses = Array.from({ length: turns }, (_, t) => ({
    ...chatTurn({ text: Array.from({ length: chunks }, (_, i) => `tok${t}x${i} `), usage: { input: 10, output: chunks } }),
    frameDelayMs: 25,
  }));
  const rig = await startChatRig('bench-ui', { responses });
  try {
    await openWorkbench(rig.page, rig.cs.folderUrl(rig.ws), 60_000);
    await waitForStatusBar(rig.page, 'airlock.kernel', /Airlock: ready/, 180_000);
    const chat = await openChat(rig.page);
    const base = path.join(rig.cs.dirs.xdg.XDG_STATE_HOME!, 'airlock');
    const paths = statePaths({ workspace: fs.realpathSync(rig.ws), stateRoot: base } as BootstrapConfig);
    const client = await connectKernel(socketLink(paths), 10_000);
    const arrived = new Map<string, number>();
    client.onEvent('task/event', (e) => {
      if (e.event.type === 'text-delta')
        for (const m of e.event.text.matchAll(/tok\d+x\d+/g)) arrived.set(m[0], performance.timeOrigin + performance.now());
    });
    const frame = await waitFor(
      'the chat frame',
      async () => {
        for (const f of rig.page.frames()) if (await f.evaluate('!!document.getElementById("log")').catch(() => false)) return f;
        return undefined;
      },
      30_000,
    );
    // Page code goes as text: tsx's transform would inject helpers (__name) the page does not have.
    await frame.evaluate(`(() => {
      const log = document.getElementById('log');
      const seen = window.__airlockPaint = {};
      new MutationObserver(() => requestAnimationFrame(() => {
        const t = performance.timeOrigin + performance.now();
        for (const m of (log.textContent || '').matchAll(/tok\\d+x\\d+/g)) if (!(m[0] in seen)) seen[m[0]] = t;
      })).observe(log, { subtree: true, childList: true, characterData: true });
    })()`);
    for (let t = 0; t < turns; t++) {
      await sendPrompt(rig.page, chat, `answer ${t}`);
      const last = `tok${t}x${chunks - 1}`;
      await waitFor(
        `turn ${t} painted`,
        async () => ((await frame.evaluate(`!!(window.__airlockPaint || {})['${last}']`)) ? true : undefined),
        60_000,
      ).catch(async (e: Error) => {
        await screenshot(rig.page, 'bench-ui-failure');
        const text = String(await frame.evaluate('document.getElementById("log").textContent.slice(-800)'));
        throw new Error(`${e.message}; ${arrived.size} deltas received; the chat shows: ${text}`);
      });
      await waitFor(
        `turn ${t} finished`,
        async () => ((await chat.locator('vscode-textarea#input').isEnabled()) ? true : undefined),
        30_000,
      ).catch(() => undefined);
    }
    const painted = (await frame.evaluate('window.__airlockPaint')) as Record<string, number>;
    client.dispose();
    const out: number[] = [];
    for (const [tok, at] of arrived) if (painted[tok] !== undefined) out.push(painted[tok] - at);
    if (out.length < turns * chunks * 0.9) throw new Error(`only ${out.length} of ${turns * chunks} deltas were both received and painted`);
    return out;
  } finally {
    await stopChatRig(rig);
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/extension.js'))) throw new Error('run `npm run build` first (dist/extension.js is measured)');
  const withLoad = activationWithLoad(15);
  const real = await activationInVsCode(7);
  const paint = await tokenToPaint(8, 25);
  console.log(`activate() in code-server's extension host, ${real.length} windows: ${real.map((v) => v.toFixed(1)).join(', ')} ms`);
  writeResults({
    name: 'ui',
    engine: null,
    baselines: {},
    metrics: {
      activation_ms: {
        value: percentile(real, 50),
        unit: 'ms',
        stat: 'p50',
        n: real.length,
        warmup: 0,
        model: 'in-process',
        work: "activate() in code-server's extension host",
        goal: '<= 50',
      },
      activation_with_load_ms: {
        value: percentile(withLoad, 50),
        unit: 'ms',
        stat: 'p50',
        n: withLoad.length,
        warmup: 0,
        model: 'spawned',
        work: 'require(dist/extension.js) + activate(), a fresh Node process each, stub vscode',
      },
      token_to_paint_p50_ms: {
        value: percentile(paint, 50),
        unit: 'ms',
        stat: 'p50',
        n: paint.length,
        warmup: 0,
        model: 'in-process',
        work: 'kernel task/event text delta → painted in the chat webview (code-server, Chromium)',
        goal: '<= 16',
      },
      token_to_paint_p99_ms: {
        value: percentile(paint, 99),
        unit: 'ms',
        stat: 'p99',
        n: paint.length,
        warmup: 0,
        model: 'in-process',
        work: 'kernel task/event text delta → painted in the chat webview (code-server, Chromium)',
      },
    },
  });
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
