// The built-in plugins on the SDK: git-tool against a real git repository (read-only tools only), test-tool against
// real node:test projects (pass/fail per test), their build (deterministic: the kernel pre-approves the shipped hash),
// and the kernel pre-approving a built-in only at the content it shipped.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AuditInput } from '../../../protocol/src/audit';
import type { PluginCandidate } from '../../../protocol/src/methods/plugins';
import { contentHash } from '../../../core/src/mcp/content-hash';
import { manifestOf, testPlugin } from '../../../sdk/src/index';
import type { PolicyRequest } from '../../../protocol/src/policy';
import { assets } from '../../../protocol/src/node/assets';
import { PolicyEngine } from '../../../core/src/policy/engine';
import { precheckCapabilities } from '../../../kernel/src/plugins/verify';
import { plugin as gitTool, parseBlame } from '../../../plugins/builtin/git-tool/index';
import { plugin as testTool } from '../../../plugins/builtin/test-tool/index';
import { shippedBuiltins } from '../../../kernel/src/plugins/builtins';
import { PLUGIN_EXEC_TEMPLATE, templateFor } from '../../../kernel/src/plugins/plugin';
import { Plugins } from '../../../kernel/src/plugins/registry';
import { REPO } from './example';
import { gitIn, gitWorkspace, testWorkspace } from './workspaces';

const dataOf = (text: string) => JSON.parse(text.slice(text.lastIndexOf('\n{') + 1));

describe('built-in plugins', function () {
  this.timeout(60_000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-builtins-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('git-tool: log, blame, diff, status and show read a real repository and change nothing', async () => {
    gitWorkspace(tmp);
    const before = gitIn(tmp, 'rev-parse', 'HEAD');
    const p = await testPlugin(gitTool, { workspace: tmp });
    try {
      assert.deepEqual(
        (await p.tools()).map((t) => t.name),
        ['status', 'diff', 'log', 'blame', 'show'],
      );
      const log = await p.call('log', {});
      assert.equal(log.isError, false, log.text);
      assert.deepEqual(
        dataOf(log.text).commits.map((c: { author: string; subject: string }) => [c.author, c.subject]),
        [
          ['Grace', 'second: line three'],
          ['Ada', 'first: a.txt'],
        ],
      );
      const blame = dataOf((await p.call('blame', { path: 'a.txt', rev: 'HEAD' })).text).lines;
      assert.deepEqual(
        blame.map((l: { author: string; text: string }) => [l.author, l.text]),
        [
          ['Ada', 'one'],
          ['Ada', 'two'],
          ['Grace', 'three'],
        ],
      );
      const diff = await p.call('diff', { path: 'a.txt' });
      assert.match(diff.text, /^-two$/m);
      assert.match(diff.text, /^\+TWO$/m);
      assert.deepEqual(dataOf((await p.call('status')).text).files, [{ status: ' M', path: 'a.txt' }]);
      assert.match((await p.call('show', { rev: 'HEAD~1', path: 'a.txt' })).text, /^one\ntwo\n$/);
      assert.match((await p.call('show', { rev: 'HEAD', stat: true })).text, /second: line three[\s\S]*a\.txt \| 1 \+/);
      // An option where a revision goes, or a path out of the workspace, is refused before git runs.
      const opt = await p.call('log', { rev: '--output=/tmp/x' });
      assert.equal(opt.isError, true);
      assert.match(opt.text, /rev/);
      assert.equal((await p.call('blame', { path: '../etc/passwd' })).isError, true);
      const bad = await p.call('show', { rev: 'no-such-rev' });
      assert.equal(bad.isError, true);
      assert.match(bad.text, /git show failed/);
    } finally {
      await p.close();
    }
    assert.equal(gitIn(tmp, 'rev-parse', 'HEAD'), before, 'no commit was made');
    assert.equal(fs.readFileSync(path.join(tmp, 'a.txt'), 'utf8'), 'one\nTWO\nthree\n');
  });

  it("git-tool: a repository's own config cannot make git run its programs (fsmonitor, pager)", async () => {
    gitWorkspace(tmp);
    const marker = path.join(tmp, '..', `${path.basename(tmp)}-ran`);
    const hook = path.join(tmp, '..', `${path.basename(tmp)}-hook.sh`);
    fs.writeFileSync(hook, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    gitIn(tmp, 'config', 'core.fsmonitor', hook);
    gitIn(tmp, 'config', 'core.pager', `sh ${hook}`);
    const p = await testPlugin(gitTool, { workspace: tmp });
    try {
      assert.equal((await p.call('status')).isError, false);
      assert.equal((await p.call('diff', {})).isError, false);
      assert.equal((await p.call('log', {})).isError, false);
    } finally {
      await p.close();
      fs.rmSync(hook, { force: true });
    }
    const ran = fs.existsSync(marker);
    fs.rmSync(marker, { force: true });
    assert.equal(ran, false, "the repository's fsmonitor/pager never ran");
  });

  it("git-tool parses blame's porcelain output per line", () => {
    const sha = 'a'.repeat(40);
    const out = `${sha} 1 1 1\nauthor Ada\nauthor-time 0\nsummary x\n\tline one\n${sha} 2 2\nauthor Ada\nauthor-time 86400\n\tline two\n`;
    assert.deepEqual(parseBlame(out), [
      { sha, line: 1, author: 'Ada', date: '1970-01-01', text: 'line one' },
      { sha, line: 2, author: 'Ada', date: '1970-01-02', text: 'line two' },
    ]);
  });

  it('test-tool: detects node:test and reports each test passed or failed', async () => {
    testWorkspace(tmp);
    const p = await testPlugin(testTool, { workspace: tmp });
    try {
      const r = await p.call('run', {});
      assert.equal(r.isError, false, r.text);
      const d = dataOf(r.text);
      assert.equal(d.kind, 'node-test');
      assert.equal(d.passed, 1);
      assert.equal(d.failed, 1);
      assert.deepEqual(d.tests, [
        { name: 'adds', status: 'passed' },
        { name: 'subtracts wrongly', status: 'failed' },
      ]);
      assert.match(r.text, /^failed  subtracts wrongly$/m);
    } finally {
      await p.close();
    }
  });

  it('test-tool: a project without tests is an error with the reason, not a pass', async () => {
    fs.writeFileSync(path.join(tmp, 'README.md'), 'no tests\n');
    const p = await testPlugin(testTool, { workspace: tmp });
    try {
      const r = await p.call('run', {});
      assert.equal(r.isError, true);
      assert.match(r.text, /no test runner found/);
    } finally {
      await p.close();
    }
  });

  it('the build is deterministic and its manifests ask for commands (so the exec template)', async function () {
    this.timeout(120_000);
    const { buildBuiltinPlugins } = (await import('../../../scripts/build-plugins.mjs' as string)) as {
      buildBuiltinPlugins: (root: string, out: string) => Promise<string[]>;
    };
    const [a, b] = [path.join(tmp, 'a'), path.join(tmp, 'b')];
    assert.deepEqual(await buildBuiltinPlugins(REPO, a), ['git-tool', 'test-tool']);
    await buildBuiltinPlugins(REPO, b);
    for (const n of ['git-tool', 'test-tool']) {
      assert.equal(contentHash(path.join(a, n)), contentHash(path.join(b, n)), `${n} builds to the same content`);
      const m = JSON.parse(fs.readFileSync(path.join(a, n, 'airlock-plugin.json'), 'utf8'));
      assert.equal(templateFor(m), PLUGIN_EXEC_TEMPLATE);
      assert.ok(
        m.capabilities.reads.length && !m.capabilities.writes && !m.capabilities.network.length,
        `${n} only reads and runs commands`,
      );
    }
    const shipped = shippedBuiltins(a);
    assert.equal(shipped('git-tool'), contentHash(path.join(a, 'git-tool')));
    assert.equal(shipped('nope'), undefined);
    assert.equal(shippedBuiltins(undefined)('git-tool'), undefined);
  });

  it('the shipped policies: explore and debug let both start; strict refuses test-tool (running tests asks there)', async () => {
    for (const mode of ['explore', 'debug', 'strict']) {
      const e = new PolicyEngine({});
      e.load([path.join(assets().policiesDir, `${mode}.yaml`)]);
      const judge = (r: PolicyRequest) => e.evaluate(r);
      assert.equal(precheckCapabilities(manifestOf(gitTool), judge), null, `${mode} git-tool`);
      const t = precheckCapabilities(manifestOf(testTool), judge);
      if (mode === 'strict') assert.match(t ?? '', /exec npm test \*.*only allows one call at a time/);
      else assert.equal(t, null, `${mode} test-tool`);
    }
  });

  it('the kernel pre-approves a built-in only at the content it shipped', async () => {
    const dir = path.join(tmp, 'shipped', 'git-tool');
    fs.mkdirSync(path.join(dir, 'dist'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'dist', 'index.js'), '// a plugin\n');
    const manifest = {
      manifestVersion: 1,
      name: 'git-tool',
      version: '1.0.0',
      description: '',
      entry: 'dist/index.js',
      engines: { sdk: '^0.1.0', protocol: '^1.0.0' },
      tools: [{ name: 'log', description: 'l' }],
      capabilities: { reads: ['**'], writes: false, exec: ['git log *'], network: [] },
    };
    fs.writeFileSync(path.join(dir, 'airlock-plugin.json'), JSON.stringify(manifest));
    const sha = contentHash(dir);
    const audit: AuditInput[] = [];
    const plugins = new Plugins({
      sandboxes: null,
      audit: () => ({
        append: async (i: AuditInput) => {
          audit.push(i);
        },
      }),
      policy: { evaluate: () => ({ decision: 'allow', reason: 'test', matched: [] }) as never },
      taskPolicy: () => undefined,
      version: '0.0.0',
      shipped: shippedBuiltins(path.join(tmp, 'shipped')),
    });
    const cand = (source: PluginCandidate['source'], sha256: string): PluginCandidate => ({ source, dir, manifest, sha256 });
    // The same content claimed by the workspace, or a built-in whose content differs, waits for a person.
    for (const c of [cand('workspace', sha), cand('builtin', 'f'.repeat(64))]) {
      const [s] = await plugins.configure([c]);
      assert.equal(s.state, 'verified', `${c.source} ${c.sha256.slice(0, 4)}`);
      assert.equal(s.approved, undefined);
    }
    assert.match((await plugins.configure([cand('builtin', 'f'.repeat(64))]))[0].reason ?? '', /not what this Airlock shipped/);
    const [s] = await plugins.configure([cand('builtin', sha)]);
    assert.equal(s.approved, sha);
    assert.equal(s.state, 'failed', 'approved, then refused to start: this kernel has no engine');
    const approved = audit.filter((e) => e.action === 'plugin.approved');
    assert.equal(approved.length, 1);
    assert.match(String((approved[0].payload as { reason?: string }).reason), /built-in plugin, pre-approved/);
    plugins.dispose();
  });
});
