// Extension-host test suites (the @vscode/test-electron model) inside code-server: bundle the suite, open the
// workbench with extensionDevelopmentPath/extensionTestsPath in the URL payload, and catch window.codeAutomationExit.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { AirlockError } from '../../../protocol/src/errors';
import type { E2EPage } from './browser';
import { REPO_ROOT } from './env';

/**
 * Bundles a suite entry (exporting `run(): Promise<void>`) to one CommonJS file. `vscode` stays external (the host
 * provides it); mocha stays external (its dynamic requires do not bundle) and is copied, with the packages it needs,
 * into `node_modules` beside the bundle, so the suite runs where the checkout is hidden (the .vsix-alone flow).
 */
export async function bundleSuite(entry: string, outfile: string): Promise<string> {
  const modules = path.join(path.dirname(outfile), 'node_modules');
  copyWithDependencies('mocha', modules);
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
    external: ['vscode', 'mocha'],
  });
  return outfile;
}

/** Copies a package of the test runner's and its dependency closure (hoisted layout kept) into `dest`. */
function copyWithDependencies(name: string, dest: string, seen = new Set<string>()): void {
  const top = path.join(REPO_ROOT, 'node_modules');
  const visit = (dir: string): void => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const d of Object.keys(pkg.dependencies ?? {})) {
      // Node looks in node_modules beside the package, then up each parent; the top level is the hoisted copy.
      let nested: string | undefined;
      for (let at = dir; at.startsWith(top + path.sep); at = path.dirname(at)) {
        if (fs.existsSync(path.join(at, 'node_modules', d, 'package.json'))) {
          nested = path.join(at, 'node_modules', d);
          break;
        }
      }
      if (nested) visit(nested);
      else hoisted(d);
    }
  };
  const hoisted = (n: string): void => {
    const dir = path.join(top, n);
    if (seen.has(dir)) return;
    if (!fs.existsSync(path.join(dir, 'package.json'))) throw new AirlockError('E2E_NO_PACKAGE', `${n} is not in ${top}`, 'npm ci');
    fs.cpSync(dir, path.join(dest, n), { recursive: true, dereference: true });
    visit(dir);
  };
  hoisted(name);
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
  u.searchParams.set(
    'payload',
    JSON.stringify([
      ['extensionDevelopmentPath', remote(o.extensionDevelopmentPath)],
      ['extensionTestsPath', remote(o.extensionTestsPath)],
    ]),
  );
  return u.toString();
}

/** Runs the suite in a fresh page (exposeFunction is per page) and returns the exit code; the page is closed. */
export async function runExtensionTests(page: E2EPage, o: ExtensionTestOptions): Promise<ExtensionTestRun> {
  const timeoutMs = o.timeoutMs ?? 120_000;
  let onExit!: (r: { code: number; logs: ExtensionTestRun['logs'] }) => void;
  const exited = new Promise<{ code: number; logs: ExtensionTestRun['logs'] }>((r) => {
    onExit = r;
  });
  await page.exposeFunction('codeAutomationExit', (code: number, logs?: ExtensionTestRun['logs']) => {
    onExit({ code, logs: Array.isArray(logs) ? logs : [] });
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new AirlockError(
            'E2E_EXTENSION_TESTS_TIMEOUT',
            `the extension-host suite did not finish within ${timeoutMs} ms`,
            `browser console tail:\n${page.consoleLines.slice(-30).join('\n')}`,
          ),
        ),
      timeoutMs,
    );
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
