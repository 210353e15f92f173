// Extension-host test suites (the @vscode/test-electron model) inside code-server: bundle the suite, open the
// workbench with extensionDevelopmentPath/extensionTestsPath in the URL payload, and catch window.codeAutomationExit.
import * as esbuild from 'esbuild';
import * as path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { AirlockError } from '../../../protocol/src/errors';
import type { E2EPage } from './browser';
import { REPO_ROOT } from './env';

/**
 * Bundles a suite entry (exporting `run(): Promise<void>`) to one CommonJS file. `vscode` stays external (the host
 * provides it); mocha stays external but is pinned to this checkout's copy by absolute path, so the bundle runs
 * from any directory without bundling mocha's dynamic requires.
 */
export async function bundleSuite(entry: string, outfile: string): Promise<string> {
  const mochaPath = require.resolve('mocha', { paths: [REPO_ROOT] });
  await esbuild.build({
    entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'inline',
    logLevel: 'warning', external: ['vscode'],
    plugins: [{ name: 'pin-mocha', setup(b) { b.onResolve({ filter: /^mocha$/ }, () => ({ path: mochaPath, external: true })); } }],
  });
  return outfile;
}

export interface ExtensionTestRun {
  /** The exit code the workbench reported (0 = every test passed). */
  code: number;
  /** Browser console lines of the run; the extension host's console (e.g. mocha's report) is mirrored there. */
  console: string[];
  /** Log files the workbench handed to codeAutomationExit, when any. */
  logs: Array<{ relativePath: string; contents: string }>;
}

export interface ExtensionTestOptions {
  /** code-server base URL, e.g. http://127.0.0.1:PORT. */
  baseUrl: string;
  folder: string;
  extensionDevelopmentPath: string;
  /** The bundled suite (.js) on the server's disk. */
  extensionTestsPath: string;
  timeoutMs?: number;
}

/** The workbench URL that makes the server's extension host load the development extension and run the suite. */
export function extensionTestUrl(o: ExtensionTestOptions): string {
  const u = new URL(o.baseUrl);
  const remote = (p: string) => `vscode-remote://${u.host}${path.resolve(p)}`;
  u.searchParams.set('folder', o.folder);
  u.searchParams.set('payload', JSON.stringify([
    ['extensionDevelopmentPath', remote(o.extensionDevelopmentPath)],
    ['extensionTestsPath', remote(o.extensionTestsPath)],
  ]));
  return u.toString();
}

/** Runs the suite in a fresh page (exposeFunction is per page) and returns the exit code; the page is closed. */
export async function runExtensionTests(page: E2EPage, o: ExtensionTestOptions): Promise<ExtensionTestRun> {
  const timeoutMs = o.timeoutMs ?? 120_000;
  let onExit!: (r: { code: number; logs: ExtensionTestRun['logs'] }) => void;
  const exited = new Promise<{ code: number; logs: ExtensionTestRun['logs'] }>((r) => { onExit = r; });
  await page.exposeFunction('codeAutomationExit', (code: number, logs?: ExtensionTestRun['logs']) => { onExit({ code, logs: Array.isArray(logs) ? logs : [] }); });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AirlockError('E2E_EXTENSION_TESTS_TIMEOUT', `the extension-host suite did not finish within ${timeoutMs} ms`,
      `browser console tail:\n${page.consoleLines.slice(-30).join('\n')}`)), timeoutMs);
  });
  try {
    await page.goto(extensionTestUrl(o), { waitUntil: 'domcontentloaded' });
    const { code, logs } = await Promise.race([exited, timeout]);
    await page.consoleSettled();
    // Mocha in the extension host colours its report when the environment forces colour (FORCE_COLOR in CI).
    return { code, logs, console: page.consoleLines.map((l) => stripVTControlCharacters(l)) };
  } finally {
    clearTimeout(timer);
    await page.close().catch(() => undefined);
  }
}
