// Host-side discovery: the person's folder before the workspace's (a repository cannot shadow an installed plugin),
// manifests read size-capped, content hashes, approvals carried to the kernel.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { contentHash } from '../../../core/src/mcp/content-hash';
import { discoverPlugins, readApprovals, userPluginsDir, workspacePluginsDir, writeApprovals } from '../../../core/src/plugins/discover';

describe('plugin discovery (host)', () => {
  let base: string;
  let env: NodeJS.ProcessEnv;
  let workspace: string;
  const put = (dir: string, manifest: string) => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'airlock-plugin.json'), manifest);
  };

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-discover-'));
    env = { XDG_CONFIG_HOME: path.join(base, 'cfg'), HOME: base };
    workspace = path.join(base, 'ws');
    fs.mkdirSync(workspace);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it("finds user and workspace plugins; the person's copy wins a name clash; approvals come along", () => {
    put(path.join(userPluginsDir(env), 'hello'), JSON.stringify({ name: 'hello', v: 1 }));
    put(path.join(workspacePluginsDir(workspace), 'hello-copy'), JSON.stringify({ name: 'hello', v: 2 }));
    put(path.join(workspacePluginsDir(workspace), 'lint'), JSON.stringify({ name: 'lint' }));
    put(path.join(workspacePluginsDir(workspace), 'broken'), '{ not json');
    const hash = contentHash(path.join(userPluginsDir(env), 'hello'));
    writeApprovals(env, { hello: { sha256: hash, approvedAt: '2026-01-01T00:00:00Z' } });
    const found = discoverPlugins({ workspace, env });
    assert.deepEqual(
      found.candidates.map((c) => [c.source, path.basename(c.dir), (c.manifest as { v?: number } | null)?.v ?? null]),
      [
        ['user', 'hello', 1],
        ['workspace', 'broken', null],
        ['workspace', 'lint', null],
      ],
    );
    assert.equal(found.candidates[0].approved, hash);
    assert.equal(found.candidates[0].sha256, hash);
    assert.equal(found.candidates[2].approved, undefined);
    assert.equal(found.skipped.length, 1);
    assert.match(found.skipped[0], /workspace plugin hello .*found first/);
    assert.equal(found.candidates[1].manifest, null, 'a manifest that is not JSON reaches the kernel as null (refused there)');
  });

  it('a manifest over the size cap is not read', () => {
    put(path.join(workspacePluginsDir(workspace), 'big'), JSON.stringify({ name: 'big', pad: 'x'.repeat(70_000) }));
    assert.equal(discoverPlugins({ workspace, env }).candidates[0].manifest, null);
  });

  it('approvals round-trip through a file only the person reads; a damaged file is an error, not "no approvals"', () => {
    writeApprovals(env, { a: { sha256: 'b'.repeat(64), approvedAt: 'now' } });
    assert.deepEqual(readApprovals(env), { a: { sha256: 'b'.repeat(64), approvedAt: 'now' } });
    const file = path.join(userPluginsDir(env), 'approvals.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    fs.writeFileSync(file, '{"approvals":{"a":{"sha256":"short"}}}');
    assert.throws(() => readApprovals(env), /PLUGIN_APPROVALS_INVALID|approvals/);
  });
});
