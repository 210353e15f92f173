// The layer lint catches forbidden imports (so a passing lint means something).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const script = path.join(__dirname, '..', '..', 'scripts', 'lint-layers.mjs');
function lint(files: Record<string, string>) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-lint-'));
  for (const [f, src] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), src);
  }
  return spawnSync(process.execPath, [script], { env: { ...process.env, AIRLOCK_LINT_ROOT: root }, encoding: 'utf8' });
}

describe('layer lint', () => {
  it('flags asset paths computed from __dirname or process.cwd() outside the asset resolver', () => {
    const r = lint({
      'kernel/src/t.ts': "const d = path.resolve(__dirname, '../templates');",
      'cli/src/c.ts': 'const w = process.cwd();',
      'cli/src/ok.ts': "const w = process.cwd(); // the user's folder, not an asset path",
      'protocol/src/node/assets.ts': 'const here = __dirname;',
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /kernel\/src\/t\.ts:1: asset paths come from protocol\/src\/node\/assets\.ts/);
    assert.match(r.stderr, /cli\/src\/c\.ts:1: asset paths/);
    assert.doesNotMatch(r.stderr, /ok\.ts|assets\.ts:1/);
  });

  it('passes clean code', () => {
    const r = lint({
      'kernel/a.ts': "import { x } from '../protocol/src/errors';",
      'webview/src/v.ts': "import { y } from '../../protocol/src/messages';",
    });
    assert.equal(r.status, 0, r.stderr);
  });
  it('flags vscode in the kernel, Node in the webview and reaching into the kernel', () => {
    const r = lint({
      'kernel/a.ts': "import * as vscode from 'vscode';",
      'webview/src/v.ts': "import * as fs from 'node:fs';\nimport { p } from '../../protocol/src/node/socket-transport';",
      'extension/src/e.ts': "import { k } from '../../kernel/src/main';",
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /kernel\/a\.ts:1: kernel must not import 'vscode'/);
    assert.match(r.stderr, /webview\/src\/v\.ts:1: webview must not import Node built-in 'node:fs'/);
    assert.match(r.stderr, /webview\/src\/v\.ts:2: webview must not import Node-only protocol code/);
    assert.match(r.stderr, /extension\/src\/e\.ts:1: extension must not import kernel\//);
  });

  it('keeps the CLI and the image builders out of the kernel: they use core/ or the protocol', () => {
    const r = lint({
      'cli/src/commands/policy.ts': "import { PolicyEngine } from '../../../kernel/src/policy/engine';",
      'cli/src/commands/ok.ts': "import { PolicyEngine } from '../../../core/src/policy/engine';",
      'templates/builder/b.ts': "import { x } from '../../kernel/src/runtime/docker';",
      'core/src/audit/log.ts': "import { bus } from '../../../kernel/src/event-bus';",
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cli\/src\/commands\/policy\.ts:1: cli must not import kernel\//);
    assert.match(r.stderr, /templates\/builder\/b\.ts:1: templates must not import kernel\//);
    assert.match(r.stderr, /core\/src\/audit\/log\.ts:1: core must not import kernel\//);
    assert.doesNotMatch(r.stderr, /ok\.ts/);
  });
  it('keeps native SQLite out of the extension host and the protocol client off its server', () => {
    const r = lint({
      'extension/src/a.ts': "import { AuditLog } from '../../core/src/audit/log';",
      'extension/src/ok.ts': "import { applyPatch } from '../../core/src/apply/apply';",
      'protocol/src/rpc-client.ts': "import { RpcServer } from './rpc-server';",
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /extension\/src\/a\.ts:1: extension must not import core\/src\/audit\/log \(native SQLite/);
    assert.match(r.stderr, /protocol\/src\/rpc-client\.ts:1: protocol must not import protocol\/src\/rpc-server/);
    assert.doesNotMatch(r.stderr, /ok\.ts/);
  });
  it('keeps the native keychain binding in the CLI: the extension, the kernel and what they import never load it', () => {
    const r = lint({
      'extension/src/secrets.ts': "import { Entry } from '@napi-rs/keyring';",
      'kernel/src/k.ts': "const k = require('@napi-rs/keyring');",
      'core/src/c.ts': "import type { Entry } from '@napi-rs/keyring/index';",
      'bootstrap/b.ts': "const k = await import('@napi-rs/keyring');",
      'cli/src/auth/keychain.ts': "import type * as Keyring from '@napi-rs/keyring';\nconst k = require('@napi-rs/keyring');",
      'extension/src/ok.ts': "import { x } from '@napi-rs/keyringish';",
    });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /extension\/src\/secrets\.ts:1: extension must not import '@napi-rs\/keyring' \(the OS keychain binding is a native module for the CLI only\)/,
    );
    assert.match(r.stderr, /kernel\/src\/k\.ts:1: kernel must not import '@napi-rs\/keyring'/);
    assert.match(r.stderr, /core\/src\/c\.ts:1: core must not import '@napi-rs\/keyring\/index'/);
    assert.match(r.stderr, /bootstrap\/b\.ts:1: bootstrap must not import '@napi-rs\/keyring'/);
    assert.doesNotMatch(r.stderr, /cli\/src|ok\.ts/);
  });
});

describe('layer lint: typed protocol in the extension and the webview', () => {
  it('flags the casts that put an untyped kernel call back (the removed capabilities.ts used three of them)', () => {
    const r = lint({
      'extension/src/a.ts': [
        'const v = await (client.request as (m: string, p: unknown) => Promise<unknown>)(method, params);',
        "const schema = methods['task/approve'][0] as unknown as { shape?: unknown };",
        'return client.onEvent(name as EventName, listener as never);',
        'const r = await (client as any).request(m, {});',
        'await client.request(name as MethodName, {});',
      ].join('\n'),
      'webview/src/b.ts': 'const x = <any>msg;',
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /extension\/src\/a\.ts:1: extension calls the kernel through the typed protocol; no `\.request as` cast/);
    assert.match(r.stderr, /extension\/src\/a\.ts:2: .*no `as unknown as` cast/);
    assert.match(r.stderr, /extension\/src\/a\.ts:3: .*no `as EventName` cast/);
    assert.match(r.stderr, /extension\/src\/a\.ts:4: .*no `as any` cast/);
    assert.match(r.stderr, /extension\/src\/a\.ts:5: .*no `as MethodName` cast/);
    assert.match(r.stderr, /webview\/src\/b\.ts:1: webview calls the kernel through the typed protocol; no `<any>` cast/);
  });

  it('passes typed calls, ordinary casts, prose in strings and comments, and other layers', () => {
    const r = lint({
      'extension/src/ok.ts': [
        "const r = await client.request('tasks/list', {}, { timeoutMs: 15_000 });",
        'readonly onDidChangeTreeData = this._onDidChange.event as vscode.Event<undefined>;',
        "const m = 'run it as any user, as unknown as it is'; // a cast such as `as any` is banned",
        'const t = `${n} as never before`;',
      ].join('\n'),
      'kernel/src/k.ts': 'const x = y as any;',
    });
    assert.equal(r.status, 0, r.stderr);
  });
});
