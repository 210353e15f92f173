// The package check a node MCP server / plugin runs in its own process (kernel/src/mcp/identity.ts), on this machine's
// node: the entry loads only when the package is the pinned content; otherwise nothing of it runs and the reason is read.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { contentHash } from '../../../core/src/mcp/content-hash';
import {
  hashRefusal,
  IDENTITY_CHANGED_EXIT,
  IDENTITY_UNREADABLE_EXIT,
  identityFailure,
  verifiedNodeArgs,
} from '../../../kernel/src/mcp/identity';

describe('MCP package identity checked in the server process', () => {
  let base: string;
  let pkg: string;
  let marker: string;

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-identity-'));
    pkg = path.join(base, 'pkg');
    marker = path.join(base, 'ran');
    fs.mkdirSync(path.join(pkg, 'lib'), { recursive: true });
    // The entry says it ran by writing a file outside the package (a side effect the check must prevent).
    fs.writeFileSync(
      path.join(pkg, 'main.cjs'),
      `require('fs').writeFileSync(${JSON.stringify(marker)}, JSON.stringify({ main: require.main === module, ` +
        `argv: process.argv.slice(2), execArgv: process.execArgv }));\nrequire('./lib/x.cjs');\n`,
    );
    fs.writeFileSync(path.join(pkg, 'lib', 'x.cjs'), 'module.exports = 1;\n');
    fs.writeFileSync(path.join(pkg, 'esm.mjs'), `import * as fs from 'node:fs'; fs.writeFileSync(${JSON.stringify(marker)}, 'esm');\n`);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const run = (pinned: string, entry = 'main.cjs', args: string[] = []) =>
    spawnSync(process.execPath, verifiedNodeArgs(pkg, pinned, [path.join(pkg, entry), ...args])!, { encoding: 'utf8', timeout: 30_000 });

  it('runs the entry as the main module, with its arguments, when the package is the pinned content', () => {
    const r = run(contentHash(pkg), 'main.cjs', ['--flag', 'x']);
    assert.equal(r.status, 0, r.stderr);
    const seen = JSON.parse(fs.readFileSync(marker, 'utf8'));
    assert.equal(seen.main, true);
    assert.deepEqual(seen.argv, ['--flag', 'x']);
    // The check takes itself out: the server's own child node processes start as plain node.
    assert.deepEqual(seen.execArgv, []);
  });

  it('runs an ES module entry too', () => {
    const r = run(contentHash(pkg), 'esm.mjs');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(marker, 'utf8'), 'esm');
  });

  it('refuses a changed package before any of it runs, and says what it found', () => {
    const pinned = contentHash(pkg);
    fs.appendFileSync(path.join(pkg, 'lib', 'x.cjs'), '// changed\n');
    const r = run(pinned);
    assert.equal(r.status, IDENTITY_CHANGED_EXIT);
    assert.equal(fs.existsSync(marker), false, 'the entry must not have run');
    const e = identityFailure('srv', pinned, r.stderr);
    assert.equal(e?.code, 'MCP_SERVER_CHANGED');
    assert.match(e!.message, new RegExp(`sha256 ${contentHash(pkg).slice(0, 12)}…, pinned ${pinned.slice(0, 12)}…`));
  });

  it('refuses a package it cannot read (fails closed) with the reason', () => {
    const pinned = contentHash(pkg);
    fs.rmSync(pkg, { recursive: true });
    fs.mkdirSync(pkg);
    fs.writeFileSync(path.join(pkg, 'main.cjs'), `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
    const r = spawnSync(process.execPath, verifiedNodeArgs(path.join(base, 'missing'), pinned, [path.join(pkg, 'main.cjs')])!, {
      encoding: 'utf8',
    });
    assert.equal(r.status, IDENTITY_UNREADABLE_EXIT);
    assert.equal(fs.existsSync(marker), false);
    const e = identityFailure('srv', pinned, r.stderr);
    assert.equal(e?.code, 'MCP_SERVER_IDENTITY');
    assert.match(e!.message, /could not be hashed: .*ENOENT/);
  });

  it('refuses to build a check for something that is not a sha256', () => {
    assert.throws(() => verifiedNodeArgs(pkg, 'abc";process.exit(0);"', ['main.cjs']), /not a sha256/);
  });

  it('leaves a server whose arguments start with node options to a hashing exec of its own', () => {
    assert.equal(verifiedNodeArgs(pkg, 'a'.repeat(64), ['--max-old-space-size=64', 'main.cjs']), undefined);
    assert.equal(verifiedNodeArgs(pkg, 'a'.repeat(64), []), undefined);
  });

  it('runs an entry given by a relative path, from the working directory, as node would', () => {
    const r = spawnSync(process.execPath, verifiedNodeArgs(pkg, contentHash(pkg), ['main.cjs', 'y'])!, { cwd: pkg, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(fs.readFileSync(marker, 'utf8')).argv, ['y']);
  });

  it("reads only its own marker line from the server's stderr", () => {
    const pinned = 'a'.repeat(64);
    assert.equal(identityFailure('srv', pinned, 'Error: boom\n    at x\n'), undefined);
    // A claimed hash that is not one is not repeated as one.
    assert.equal(identityFailure('srv', pinned, '\nairlock-identity: changed <script>\n')?.code, 'MCP_SERVER_IDENTITY');
    assert.equal(identityFailure('srv', pinned, `\nairlock-identity: changed ${'b'.repeat(64)}\n`)?.code, 'MCP_SERVER_CHANGED');
  });

  it('judges a separate hashing exec as before (servers not started by node)', () => {
    const pinned = 'a'.repeat(64);
    assert.equal(hashRefusal('srv', pinned, { exitCode: 0, stdout: `${pinned}\n`, stderr: '' }), undefined);
    assert.equal(hashRefusal('srv', pinned, { exitCode: 0, stdout: 'b'.repeat(64), stderr: '' })?.code, 'MCP_SERVER_CHANGED');
    assert.equal(hashRefusal('srv', pinned, { exitCode: 1, stdout: '', stderr: 'EACCES' })?.code, 'MCP_SERVER_IDENTITY');
    assert.equal(hashRefusal('srv', pinned, { exitCode: 0, stdout: 'nope', stderr: '' })?.code, 'MCP_SERVER_IDENTITY');
  });
});
