// One esbuild script, one options object per target. `--production` minifies; `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { buildBuiltinPlugins } from './build-plugins.mjs';
import { zodEnglishOnly } from './zod-english-only.mjs';

const root = path.join(import.meta.dirname, '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
  legalComments: 'none',
  plugins: [zodEnglishOnly],
};
// Native modules and optional SSH support of docker-modem stay outside the bundles.
// esbuild: only a checkout (run through tsx) bundles the provider worker on the fly; the bundles ship it prebuilt.
const nodeExternal = ['better-sqlite3', 'airlock-peercred', 'cpu-features', 'deno', 'esbuild', '*.node'];

// The vendor SDKs and tokenizer tables are most of the kernel's code. They become separate bundles under
// dist/kernel/vendor/, required on first use, so the kernel's cold start does not parse them.
const require_ = createRequire(import.meta.url);
export const lazyVendors = {
  openai: 'openai',
  '@anthropic-ai/sdk': 'anthropic-sdk',
  '@google/genai': 'google-genai',
  'gpt-tokenizer/encoding/o200k_base': 'tokenizer-o200k',
  'gpt-tokenizer/encoding/cl100k_base': 'tokenizer-cl100k',
};
const lazyVendorPlugin = {
  name: 'lazy-vendors',
  setup(b) {
    b.onResolve({ filter: /^(openai|@anthropic-ai\/sdk|@google\/genai|gpt-tokenizer\/encoding\/\w+)$/ }, (a) =>
      lazyVendors[a.path] ? { path: `./vendor/${lazyVendors[a.path]}.js`, external: true } : undefined,
    );
  },
};

// The OS keychain binding (a native module) is for the CLI only: the extension keeps VS Code's SecretStorage and the
// kernel never sees the keychain. scripts/lint-layers.mjs says so per import; this fails a build that pulls it in anyway.
const cliOnly = ['@napi-rs/keyring'];
const cliOnlyPlugin = {
  name: 'cli-only',
  setup(b) {
    b.onResolve({ filter: /^@napi-rs\/keyring(\/|$)/ }, (a) => ({
      errors: [{ text: `${a.path} is the CLI's native keychain binding; ${a.importer} must not bundle it` }],
    }));
  },
};

export const targets = {
  extension: {
    ...common,
    entryPoints: ['extension/src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', ...nodeExternal],
    plugins: [...common.plugins, cliOnlyPlugin],
  },
  kernel: {
    ...common,
    entryPoints: {
      kernel: 'kernel/src/main.ts',
      'grep-worker': 'kernel/src/agent/tools/grep-worker.ts',
      'audit-writer': 'core/src/audit/audit-writer.ts',
      'walk-worker': 'kernel/src/patches/walk-worker.ts',
      relay: 'kernel/src/ipc/relay.ts',
    },
    outdir: 'dist/kernel',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternal,
    plugins: [...common.plugins, lazyVendorPlugin, cliOnlyPlugin],
  },
  // The provider worker runs in an ai-provider sandbox, which has none of our files: one self-contained bundle, SDKs
  // included, that the kernel sends down the worker's stdin (kernel/src/agent/provider-worker/).
  providerWorker: {
    ...common,
    sourcemap: false,
    minify: true,
    entryPoints: { 'provider-worker': 'kernel/src/agent/provider-worker/worker.ts' },
    outdir: 'dist/kernel',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternal,
    plugins: [...common.plugins, cliOnlyPlugin],
  },
  kernelVendors: {
    ...common,
    sourcemap: false,
    entryPoints: Object.fromEntries(Object.entries(lazyVendors).map(([m, n]) => [`vendor/${n}`, require_.resolve(m)])),
    outdir: 'dist/kernel',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternal,
    plugins: [...common.plugins, cliOnlyPlugin],
  },
  cli: {
    ...common,
    entryPoints: ['cli/src/entry.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: [...nodeExternal, ...cliOnly],
  },
  // `airlock mcp serve` alone, shipped in the .vsix (which has no CLI) for VS Code's own agents: without the keychain binding,
  // so its only natives are the ones dist/node_modules stages for the kernel (extension/src/mcp/offerToAgents.ts).
  mcpServe: {
    ...common,
    entryPoints: ['cli/src/mcp-serve-entry.ts'],
    outfile: 'dist/mcp-serve.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternal,
    plugins: [...common.plugins, cliOnlyPlugin],
  },
  webview: {
    ...common,
    entryPoints: fs.existsSync(path.join(root, 'webview/src'))
      ? fs
          .readdirSync(path.join(root, 'webview/src'))
          .filter((f) => f.endsWith('.ts'))
          .map((f) => `webview/src/${f}`)
      : [],
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
};

/** Copies the native modules into dist/node_modules, where Node finds them from dist/cli.js and dist/kernel/*.js alike
 * (so dist/ works wherever it is copied); the kernel image ships the same folder. */
function stageKernelNatives() {
  const dest = path.join(root, 'dist/node_modules');
  fs.rmSync(path.join(root, 'dist/kernel/node_modules'), { recursive: true, force: true }); // the old place
  const copy = (name, parts) => {
    const from = path.join(root, 'node_modules', name);
    for (const p of parts) {
      const src = path.join(from, p);
      if (fs.existsSync(src)) fs.cpSync(src, path.join(dest, name, p), { recursive: true, dereference: true });
      // The kernel refuses every connection without its natives: say so at build time, not at the first command.
      else if (p.endsWith('.node'))
        console.warn(`build: ${src} is missing (npm install builds it; native/peercred needs node-gyp): the kernel image will not work`);
    }
  };
  copy('better-sqlite3', ['package.json', 'lib', 'build/Release/better_sqlite3.node']);
  copy('bindings', ['package.json', 'bindings.js']);
  copy('file-uri-to-path', ['package.json', 'index.js']);
  copy('airlock-peercred', ['package.json', 'index.js', 'build/Release/peercred.node']);
}

/** Stages the CLI's keychain binding in dist/node_modules beside the kernel's natives, so dist/cli.js finds it wherever
 * dist/ is copied: the loader package and every platform package npm installed (only this machine's, usually). */
function stageCliNatives() {
  const scope = path.join(root, 'node_modules/@napi-rs');
  const dest = path.join(root, 'dist/node_modules/@napi-rs');
  const names = fs.existsSync(scope) ? fs.readdirSync(scope).filter((n) => n === 'keyring' || n.startsWith('keyring-')) : [];
  if (!names.includes('keyring'))
    return void console.warn('build: node_modules/@napi-rs/keyring is missing (npm install): `airlock auth` will not work');
  if (names.length < 2)
    console.warn('build: no @napi-rs/keyring platform package is installed for this machine: `airlock auth` will not work');
  for (const n of names) {
    fs.rmSync(path.join(dest, n), { recursive: true, force: true });
    for (const f of fs.readdirSync(path.join(scope, n))) {
      if (f === 'package.json' || f === 'index.js' || f.endsWith('.node'))
        fs.cpSync(path.join(scope, n, f), path.join(dest, n, f), { dereference: true });
    }
  }
}

const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const selected = Object.entries(targets).filter(
  ([name, o]) =>
    (!only.length || only.includes(name) || ((name === 'kernelVendors' || name === 'providerWorker') && only.includes('kernel'))) &&
    Object.keys(o.entryPoints).length > 0,
);
const t0 = Date.now();
if (watch) {
  for (const [, o] of selected) await (await esbuild.context(o)).watch();
  console.log('watching', selected.map(([n]) => n).join(', '));
} else {
  await Promise.all(selected.map(([, o]) => esbuild.build(o)));
  if (selected.some(([n]) => n === 'kernel')) stageKernelNatives();
  // The built-in plugins ship beside the kernel (dist/plugins; the kernel image copies them): built with it.
  if (selected.some(([n]) => n === 'kernel') || only.includes('plugins')) await buildBuiltinPlugins(root);
  if (selected.some(([n]) => n === 'cli')) stageCliNatives();
  // The webviews load @vscode-elements/elements' own bundle (an ES module) from dist/webview/vendor.
  if (selected.some(([n]) => n === 'webview'))
    fs.cpSync(
      path.join(root, 'node_modules/@vscode-elements/elements/dist/bundled.js'),
      path.join(root, 'dist/webview/vendor/vscode-elements.js'),
    );
  console.log(`built ${selected.map(([n]) => n).join(', ')} in ${Date.now() - t0} ms`);
}
