// Under a simulated Electron extension host (desktop VS Code: process.versions.electron set, execPath the editor's own
// binary) the image builders ship a real Node.js from PATH, never execPath; with none they fail with a clear error.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkNatives, hostNodeBinary, probeNode } from '../../../templates/builder/node-binary';

function dirWith(files: Record<string, string>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-bin-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(d, name), text, { mode: 0o755 });
  return d;
}

describe('the Node.js binary images are built from', () => {
  const realNode = fs.realpathSync(process.execPath);
  // An "editor" binary: runs scripts like Electron with ELECTRON_RUN_AS_NODE would, and says it is Electron.
  const editor = path.join(dirWith({ code: '#!/bin/sh\necho electron\n' }), 'code');

  it('a Node.js host: its own binary', () => {
    assert.equal(hostNodeBinary({ execPath: process.execPath, versions: { node: '20.0.0' }, pathEnv: '' }), realNode);
  });

  it('an Electron host: never execPath, a real `node` from PATH instead', () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-path-'));
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const chosen = hostNodeBinary({ execPath: realNode, versions: { node: '20.0.0', electron: '30.0.0' }, pathEnv: `${bin}` });
    assert.equal(chosen, realNode); // found through PATH: execPath was not even considered
    assert.throws(
      () => hostNodeBinary({ execPath: realNode, versions: { electron: '30.0.0' }, pathEnv: '' }),
      (e: { code?: string; message: string; hint?: string }) =>
        e.code === 'IMAGE_NO_NODE' && /Electron/.test(e.message) && /PATH/.test(e.hint ?? ''),
    );
  });

  it('a `node` on PATH that is really Electron (or not runnable) is skipped', () => {
    const fakes = dirWith({ node: '#!/bin/sh\necho electron\n' });
    assert.equal(probeNode(path.join(fakes, 'node')), 'electron');
    assert.throws(
      () => hostNodeBinary({ execPath: editor, versions: { electron: '30.0.0' }, pathEnv: fakes }),
      /IMAGE_NO_NODE|no Node\.js/,
    );
    const broken = dirWith({ node: '#!/bin/sh\nexit 3\n' });
    assert.throws(
      () => hostNodeBinary({ execPath: editor, versions: { electron: '30.0.0' }, pathEnv: `${broken}${path.delimiter}${fakes}` }),
      /no Node\.js/,
    );
  });
});

describe('image builders never read process.execPath', () => {
  it('templates/builder and bootstrap take the Node binary from node-binary.ts only', () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    for (const dir of ['templates/builder', 'bootstrap']) {
      for (const f of fs.readdirSync(path.join(root, dir)).filter((n) => n.endsWith('.ts') && n !== 'node-binary.ts')) {
        assert.doesNotMatch(fs.readFileSync(path.join(root, dir, f), 'utf8'), /process\.execPath/, `${dir}/${f}`);
      }
    }
  });
});

describe('native modules an image ships', () => {
  it('load with the Node.js the image runs; another ABI is refused before the image is built, with the reason', () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    checkNatives(process.execPath, path.join(root, 'dist', 'node_modules')); // the build's own natives, this Node
    const nm = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-natives-'));
    fs.mkdirSync(path.join(nm, 'better-sqlite3'));
    fs.writeFileSync(
      path.join(nm, 'better-sqlite3', 'index.js'),
      "throw new Error('The module was compiled against a different Node.js version using NODE_MODULE_VERSION 127. This version of Node.js requires NODE_MODULE_VERSION 115.')",
    );
    assert.throws(
      () => checkNatives(process.execPath, nm),
      (e: { code?: string; message: string; hint?: string }) =>
        e.code === 'IMAGE_NATIVE_ABI' && /NODE_MODULE_VERSION 127/.test(e.message) && /npm rebuild/.test(e.hint ?? ''),
    );
  });
});
