// The built-in plugins through the real kernel and Docker: git-tool and test-tool found by the host's discovery in
// dist/plugins (the asset resolver's folder), pre-approved because their content is what the kernel image shipped,
// each started in its own tool-plugin-exec sandbox, and used by a replayed task against a real git repository
// (log, blame, diff) and a real node:test project (one failing and one passing test, reported per test).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TaskEvent, ToolResult } from '../../../protocol/src/agent';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import { assets } from '../../../protocol/src/node/assets';
import { KernelSupervisor } from '../../../bootstrap';
import { discoverPlugins } from '../../../core/src/plugins/discover';
import { call, fin, removeKernel, runTask, sampleWorkspace, text, writeReplay } from '../agent/helpers';
import { gitWorkspace, testWorkspace } from '../../unit/plugins/workspaces';

describe('built-in plugins in sandboxes (git-tool, test-tool; replay task, Docker)', function () {
  this.timeout(600_000);
  let sup: KernelSupervisor;
  let client: RpcClient;
  let base: string;
  let workspace: string;

  before(async () => {
    assert.ok(fs.existsSync(path.join(assets().builtinPluginsDir, 'git-tool', 'airlock-plugin.json')), 'npm run build makes dist/plugins');
    ({ base } = sampleWorkspace());
    fs.chmodSync(base, 0o755);
    workspace = path.join(base, 'repo');
    gitWorkspace(workspace);
    testWorkspace(workspace);
    execFileSync('chmod', ['-R', 'a+rX', workspace]);
    // The kernel judges a plugin's capabilities with its own policy, the strict mode's unless set, under which running
    // tests needs a person's approval each time, so test-tool is refused (test/unit/plugins/builtins.test.ts). Here the
    // kernel's policy is the shipped explore policy (a person's own policies folder whose strict.yaml is explore's).
    const policies = path.join(base, 'policies');
    fs.mkdirSync(policies);
    for (const m of ['strict', 'explore', 'debug'])
      fs.copyFileSync(path.join(assets().policiesDir, `${m === 'strict' ? 'explore' : m}.yaml`), path.join(policies, `${m}.yaml`));
    execFileSync('chmod', ['-R', 'a+rX', policies]);
    sup = await KernelSupervisor.start({
      workspace,
      stateRoot: path.join(base, 'state'),
      runtime: 'docker',
      maxRestarts: 2,
      policiesDir: policies,
    });
    client = await sup.ready();
  });

  after(async () => {
    if (sup) await removeKernel(sup);
    fs.rmSync(base, { recursive: true, force: true });
  });

  const byId = (events: TaskEvent[], id: string): ToolResult =>
    events.flatMap((e) => (e.type === 'tool-result' ? [e.result] : [])).find((r) => r.toolCallId === id)!;

  it('discovers the built-ins, pre-approves them at their shipped hash and starts each in its own sandbox', async () => {
    const found = discoverPlugins({
      workspace,
      env: { ...process.env, XDG_CONFIG_HOME: path.join(base, 'config') },
      builtinDir: assets().builtinPluginsDir,
    });
    const builtins = found.candidates.filter((c) => c.source === 'builtin');
    assert.deepEqual(
      builtins.map((c) => [c.dir, c.approved]),
      [
        [path.join(assets().builtinPluginsDir, 'git-tool'), undefined],
        [path.join(assets().builtinPluginsDir, 'test-tool'), undefined],
      ],
    );
    const { plugins } = await client.request('plugins/configure', { plugins: found.candidates }, { timeoutMs: 300_000 });
    for (const c of builtins) {
      const p = plugins.find((x) => x.sha256 === c.sha256)!;
      assert.equal(p.state, 'ready', `${p.name}: ${p.reason}`);
      assert.equal(p.approved, c.sha256, 'approved at the content the host found, without asking');
      const sb = (await client.request('sandbox/list', {})).sandboxes.find((s) => s.id === p.sandbox)!;
      assert.equal(sb.template, 'tool-plugin-exec');
    }
    assert.deepEqual(
      plugins.map((p) => p.name),
      ['git-tool', 'test-tool'],
    );
    assert.deepEqual(plugins.find((p) => p.name === 'git-tool')!.tools, [
      'plugin.git-tool.status',
      'plugin.git-tool.diff',
      'plugin.git-tool.log',
      'plugin.git-tool.blame',
      'plugin.git-tool.show',
    ]);
    const approved = (
      await client.request('audit/query', { resource: 'plugin:git-tool', action: 'plugin.approved', limit: 5, payloads: true })
    ).entries;
    assert.equal(approved.length, 1);
    assert.match(String((approved[0].payload as { reason?: string }).reason), /built-in plugin, pre-approved/);
  });

  it("a replayed task reads the repository's history and runs the tests, per test, changing nothing", async () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: workspace, encoding: 'utf8' });
    writeReplay(workspace, 'builtins', [
      [
        text('History first.'),
        ...call(0, 'g1', 'plugin.git-tool.log', {}),
        ...call(1, 'g2', 'plugin.git-tool.blame', { path: 'a.txt', rev: 'HEAD' }),
        fin('tool-calls'),
      ],
      [...call(0, 'g3', 'plugin.git-tool.diff', { path: 'a.txt' }), fin('tool-calls')],
      [...call(0, 't1', 'plugin.test-tool.run', {}), fin('tool-calls')],
      [text('Done.'), fin('stop')],
    ]);
    const run = await runTask(client, {
      prompt: 'look at the history and run the tests',
      replay: '.replays/builtins.jsonl',
      mode: 'explore',
    });
    const end = await run.finished;
    assert.equal(end.status, 'completed', end.message);
    const log = byId(run.events, 'g1');
    assert.equal(log.ok, true, log.content);
    assert.match(log.content, /Grace: second: line three\n[0-9a-f]{12} \S+ Ada: first: a\.txt/);
    const blame = byId(run.events, 'g2');
    assert.match(blame.content, /\(Ada [\d-]+\) 2: two\n[0-9a-f]{8} \(Grace [\d-]+\) 3: three/);
    const diff = byId(run.events, 'g3');
    assert.match(diff.content, /^-two$/m);
    assert.match(diff.content, /^\+TWO$/m);
    const tests = byId(run.events, 't1');
    assert.equal(tests.ok, true, tests.content);
    assert.match(tests.content, /node --test --test-reporter=spec \(node-spec\): 1 passed, 1 failed, 0 skipped, exit 1/);
    assert.match(tests.content, /^failed  subtracts wrongly$/m);
    assert.match(tests.content, /^passed  adds$/m);
    assert.match(tests.content, /"tests":\[\{"name":"adds","status":"passed"\},\{"name":"subtracts wrongly","status":"failed"\}\]/);
    assert.equal(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: workspace, encoding: 'utf8' }), head, 'no commit was made');
    assert.equal(run.ready.length, 0, 'nothing was proposed');
    const decisions = (await client.request('audit/query', { session: run.taskId, action: 'tool.decision', order: 'asc', limit: 20 }))
      .entries;
    assert.deepEqual(
      decisions.map((e) => [e.resource, e.decision]),
      [
        ['plugin.git-tool.log', 'allow'],
        ['plugin.git-tool.blame', 'allow'],
        ['plugin.git-tool.diff', 'allow'],
        ['plugin.test-tool.run', 'allow'],
      ],
    );
  });
});
