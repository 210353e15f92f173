// Layer lint: import arrows point inward to protocol/. Fails with file:line and the rule broken.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtinModules } from 'node:module';

const root = process.env.AIRLOCK_LINT_ROOT ?? path.join(import.meta.dirname, '..');
const nodeBuiltins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const layers = ['protocol', 'core', 'kernel', 'bootstrap', 'cli', 'extension', 'webview', 'templates', 'plugins'];

/**
 * For each layer: layers it must not import, and whether Node built-ins / vscode are banned. core/ is the host-side
 * layer shared by the kernel and the host tools (policy, audit format and verifier, SQLite store, templates, the patch
 * applier): the CLI and the image builders reach the kernel only through it or through the protocol.
 */
const rules = {
  protocol: { forbid: ['core', 'kernel', 'bootstrap', 'cli', 'extension', 'webview', 'templates'], vscode: false },
  core: { forbid: ['kernel', 'bootstrap', 'cli', 'extension', 'webview', 'templates'], vscode: false },
  kernel: { forbid: ['bootstrap', 'cli', 'extension', 'webview'], vscode: false },
  bootstrap: { forbid: ['kernel', 'cli', 'extension', 'webview'], vscode: false },
  cli: { forbid: ['kernel', 'extension', 'webview'], vscode: false },
  extension: { forbid: ['kernel', 'cli', 'webview'], vscode: true },
  webview: { forbid: ['core', 'kernel', 'bootstrap', 'cli', 'extension', 'templates'], vscode: false, node: false },
  templates: { forbid: ['kernel', 'cli', 'extension', 'webview'], vscode: false },
  // The built-in plugins (on the SDK, bundled into dist/plugins) may reuse the kernel's test-runner parsers.
  plugins: { forbid: ['bootstrap', 'cli', 'extension', 'webview'], vscode: false },
};
/** Targets a layer must not import even though the layer above is allowed (why in the message). */
const forbidTargets = [
  { layer: 'extension', re: /^core\/src\/(store|audit)\//, why: 'native SQLite stays out of the extension host' },
  { layer: 'protocol', from: /(^|\/)rpc-client\.ts$/, re: /(^|\/)rpc-server(\.ts)?$/, why: "protocol's client must not import its server" },
];
/** Packages only some layers may import (why in the message): the OS keychain binding is a native module for the CLI;
 * the extension keeps VS Code's SecretStorage and the kernel never sees the keychain (the extension and the kernel
 * also import core/, protocol/ and bootstrap/, so those layers stay off it too). */
const packageOnlyIn = [
  { re: /^@napi-rs\/keyring(\/|$)/, layers: ['cli'], why: 'the OS keychain binding is a native module for the CLI only' },
];
// protocol/src/node holds the Node transports; the webview may only import the rest of protocol.
const webviewForbiddenProtocol = /protocol\/src\/node\//;

function* files(dir) {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(e.name)) yield p;
  }
}

// Asset paths come from the one resolver: __dirname / process.cwd() elsewhere differ between a checkout, dist/ and the
// kernel image. A process.cwd() that means the user's folder says so on its line.
const ASSET_RESOLVER = 'protocol/src/node/assets.ts';
const assetPathRe = /\b__dirname\b|\bimport\.meta\.dirname\b|process\.cwd\(\)/;
const assetLayers = new Set(['protocol', 'core', 'kernel', 'bootstrap', 'cli', 'extension', 'templates', 'plugins']);

// The extension and the webview talk to the kernel only through the typed protocol (client.request<M>, onEvent<E>):
// both ship with the kernel they talk to and the handshake checks the protocol version, so nothing there needs to
// loosen a method's types. A cast that turns the type checker off (`as any`, `<any>`, `as unknown as`, `as never`),
// one of the client's own methods (`client.request as …`), or a string into a method or event name (`as MethodName`)
// is how an untyped call slips back in; none is needed in these layers, so each is an error. Comments and one-line
// string literals are blanked first, so prose such as "as any file" does not count.
const typedLayers = new Set(['extension', 'webview']);
const castRe = new RegExp(
  [
    /\bas\s+any\b|<any>|\bas\s+unknown\s+as\b|\bas\s+never\b/.source,
    /\.(?:request|onEvent)\s*\)?\s*as\b/.source,
    /\bas\s+(?:MethodName|EventName)\b/.source,
  ].join('|'),
);
const codeOnly = (line) =>
  line
    .replace(/(['"`])(?:\\.|(?!\1).)*\1/g, "''")
    .replace(/\/\/.*$/, '')
    .replace(/\/\*.*?\*\//g, '');

const importRe = /(?:import\s[^'"]*?from\s*|import\s*\(\s*|require\s*\(\s*|export\s[^'"]*?from\s*|import\s+)['"]([^'"]+)['"]/g;
const problems = [];
let checked = 0;
for (const layer of layers) {
  const rule = rules[layer];
  for (const file of files(path.join(root, layer))) {
    checked++;
    const src = fs.readFileSync(file, 'utf8');
    const rel = path.relative(root, file).split(path.sep).join('/');
    if (assetLayers.has(layer) && rel !== ASSET_RESOLVER) {
      src.split('\n').forEach((text, i) => {
        if (assetPathRe.test(text.replace(/\/\/.*$/, '')) && !/\/\/ the user's folder/.test(text)) {
          problems.push(`${rel}:${i + 1}: asset paths come from ${ASSET_RESOLVER}, not __dirname or process.cwd()`);
        }
      });
    }
    if (typedLayers.has(layer)) {
      src.split('\n').forEach((text, i) => {
        const cast = codeOnly(text).match(castRe);
        if (cast) problems.push(`${rel}:${i + 1}: ${layer} calls the kernel through the typed protocol; no \`${cast[0].trim()}\` cast`);
      });
    }
    for (const m of src.matchAll(importRe)) {
      const spec = m[1];
      const line = src.slice(0, m.index).split('\n').length;
      const where = `${path.relative(root, file)}:${line}`;
      if (spec === 'vscode' && !rule.vscode) problems.push(`${where}: ${layer} must not import 'vscode'`);
      for (const p of packageOnlyIn)
        if (p.re.test(spec) && !p.layers.includes(layer)) problems.push(`${where}: ${layer} must not import '${spec}' (${p.why})`);
      if (rule.node === false && (nodeBuiltins.has(spec) || spec.startsWith('node:')))
        problems.push(`${where}: webview must not import Node built-in '${spec}'`);
      if (spec.startsWith('.')) {
        const target = path.relative(root, path.resolve(path.dirname(file), spec));
        const top = target.split(path.sep)[0];
        if (rule.forbid.includes(top)) problems.push(`${where}: ${layer} must not import ${top}/ (${spec})`);
        const t = target.split(path.sep).join('/');
        for (const f of forbidTargets) {
          if (f.layer === layer && f.re.test(t) && (!f.from || f.from.test(rel)))
            problems.push(`${where}: ${layer} must not import ${t} (${f.why})`);
        }
        if (layer === 'webview' && webviewForbiddenProtocol.test(target.split(path.sep).join('/')))
          problems.push(`${where}: webview must not import Node-only protocol code (${spec})`);
      }
    }
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`layer lint: ${problems.length} problem(s) in ${checked} files`);
  process.exit(1);
}
console.log(`layer lint: ${checked} files, imports point inward`);
