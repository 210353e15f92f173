// Auto-merge and warm pools through the real kernel container (Docker sandboxes, replay provider): a test-only explore
// set is auto-merged (patches/ready autoMerge, audited with its criteria), strict and out-of-paths sets are not;
// sandbox/pools resizes a template's warm pool (sandbox/list shows the ready sandboxes come and go).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IDisposable } from '../../../protocol/src/lifecycle';
import type { AutoMergeCriteria } from '../../../protocol/src/patches';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import type { KernelSupervisor } from '../../../bootstrap';
import { parseRunOptions } from '../../../cli/src/run/options';
import { runTaskInTerminal } from '../../../cli/src/run/session';
import { call, fin, removeKernel, runTask, sampleWorkspace, startKernel, text, writeReplay } from './helpers';

const STRICT_REPLAY = '/opt/airlock/examples/sample-project.strict.replay.jsonl';
const PASSING_TEST =
  "const test = require('node:test');\nconst assert = require('node:assert/strict');\nconst { mean } = require('../src/stats');\n\ntest('mean of one number', () => {\n  assert.equal(mean([7]), 7);\n});\n";
const criteria = (c: Partial<AutoMergeCriteria> = {}): AutoMergeCriteria => ({
  enabled: true,
  paths: ['test/**'],
  maxChangedLines: 20,
  requireTestsPassed: true,
  modes: ['explore'],
  allowDeletes: false,
  allowBinary: false,
  ...c,
});

interface Verdict {
  allowed: boolean;
  reasons: string[];
  criteria: AutoMergeCriteria;
}

describe('auto-merge and warm pools (real kernel, Docker sandboxes)', function () {
  this.timeout(300_000);
  let sup: KernelSupervisor;
  let client: RpcClient;
  let approver: IDisposable;
  let base: string;
  let workspace: string;

  const automergeEntries = async (taskId: string) =>
    (await client.request('audit/query', { session: taskId, action: 'review.automerge', order: 'asc', limit: 10, payloads: true })).entries;

  before(async () => {
    ({ base, workspace } = sampleWorkspace());
    writeReplay(workspace, 'tests-only', [
      [text('Adding a test.'), ...call(0, 't1', 'fs.write', { path: 'test/one.test.js', content: PASSING_TEST }), fin('tool-calls')],
      [...call(0, 't2', 'exec', { argv: ['npm', 'test'] }), fin('tool-calls')],
      [text('Added a passing test.'), fin('stop')],
    ]);
    writeReplay(workspace, 'src-edit', [
      [
        ...call(0, 's1', 'fs.edit', {
          path: 'src/stats.js',
          oldText: 'const sorted = [...values].sort();',
          newText: 'const sorted = [...values].sort((a, b) => a - b);',
        }),
        fin('tool-calls'),
      ],
      [...call(0, 's2', 'exec', { argv: ['npm', 'test'] }), fin('tool-calls')],
      [text('Sorted numerically.'), fin('stop')],
    ]);
    sup = await startKernel(workspace, `${base}/state`);
    client = await sup.ready();
    // Strict mode asks before writes and test runs: allow them all.
    approver = client.onEvent('task/event', (d) => {
      if (d.event.type === 'approval-request')
        void client.request('task/approve', { taskId: d.taskId, requestId: d.event.requestId, decision: 'allow' }).catch(() => undefined);
    });
  });
  after(async () => {
    approver?.dispose();
    if (sup) await removeKernel(sup);
  });

  it('explore: a set touching only test/** with passing tests ends with patches/ready autoMerge, audited with the criteria', async () => {
    const c = criteria();
    const run = await runTask(client, { prompt: 'Add a test', replay: '.replays/tests-only.jsonl', mode: 'explore', autoMerge: c });
    const done = await run.finished;
    assert.equal(done.status, 'completed', done.message);
    assert.match(done.message, /Auto-merged by the criteria/);
    assert.deepEqual(
      run.ready.map((r) => r.autoMerge),
      [false, true],
      'generated, then accepted by the criteria',
    );
    const setId = run.ready[1].setId;
    const entries = await automergeEntries(run.taskId);
    assert.equal(entries.length, 1);
    assert.equal(entries[0].resource, setId);
    assert.equal(entries[0].decision, 'allow');
    assert.deepEqual(entries[0].payload as Verdict, { allowed: true, reasons: [], criteria: c });
    // The kernel accepted every file (the host applies it); the workspace itself is untouched by the kernel.
    const { set, review } = await client.request('review/show', { id: setId });
    assert.deepEqual(
      set.files.map((f) => `${f.type} ${f.path}`),
      ['add test/one.test.js'],
    );
    assert.equal(review['test/one.test.js']?.file, 'accept');
  });

  it('explore: a set outside the allowed paths is left for review, and the audit says why', async () => {
    const run = await runTask(client, {
      prompt: 'Fix the sort',
      replay: '.replays/src-edit.jsonl',
      mode: 'explore',
      autoMerge: criteria(),
    });
    const done = await run.finished;
    assert.equal(done.status, 'completed', done.message);
    assert.deepEqual(
      run.ready.map((r) => r.autoMerge),
      [false],
    );
    const [e] = await automergeEntries(run.taskId);
    assert.equal(e.decision, 'deny');
    assert.deepEqual((e.payload as Verdict).reasons, ['src/stats.js is outside the auto-merge paths']);
    const { review } = await client.request('review/show', { id: run.ready[0].setId });
    assert.deepEqual(review, {});
  });

  it('strict: never auto-merged, even with criteria that list strict and allow every path; audited with the reason', async () => {
    const c = criteria({ paths: [], maxChangedLines: undefined, modes: ['explore', 'strict'] });
    const run = await runTask(client, { prompt: 'Fix the median bug test-first', replay: STRICT_REPLAY, mode: 'strict', autoMerge: c });
    const done = await run.finished;
    assert.equal(done.status, 'completed', done.message);
    assert.deepEqual(
      run.ready.map((r) => r.autoMerge),
      [false],
    );
    const [e] = await automergeEntries(run.taskId);
    assert.equal(e.decision, 'deny');
    assert.deepEqual((e.payload as Verdict).reasons, ['auto-merge is never allowed in strict mode']);
    assert.deepEqual((e.payload as Verdict).criteria, asStored(c));
  });

  it('CLI `airlock run --auto-merge`: the allowed set is merged into the workspace on the host, and it says what it merged', async () => {
    const o = parseRunOptions(
      [
        'Add a test',
        '--workspace',
        workspace,
        '--mode',
        'explore',
        '--replay',
        path.join(workspace, '.replays/tests-only.jsonl'),
        '--auto-merge',
      ],
      base,
      'USAGE',
    );
    const out: string[] = [];
    const io = {
      out: (l: string) => out.push(l),
      err: () => undefined,
      write: () => undefined,
      readStdin: async () => '',
      cwd: base,
      env: { AIRLOCK_MERGE_JOURNAL_DIR: path.join(base, 'journal') },
    };
    assert.equal(fs.existsSync(path.join(workspace, 'test/one.test.js')), false);
    const r = await runTaskInTerminal(client, o, 'Add a test', io);
    assert.equal(r.status, 'completed', r.message);
    assert.equal(r.merged, 0);
    assert.equal(fs.readFileSync(path.join(workspace, 'test/one.test.js'), 'utf8'), PASSING_TEST);
    assert.ok(
      out.some((l) => /^Auto-merge: ps_\S+ met the criteria \(paths test\/\*\*, at most 20 changed lines\)/.test(l)),
      out.join('\n'),
    );
    assert.ok(
      out.some((l) => new RegExp(`^merged 1 file\\(s\\) of ${r.setId} as .*; set is merged$`).test(l)),
      out.join('\n'),
    );
    fs.rmSync(path.join(workspace, 'test/one.test.js'));
  });

  it('sandbox/pools grows a warm pool in the background and shrinks it at once; unknown templates are refused', async () => {
    const ready = async (t: string) =>
      (await client.request('sandbox/list', {})).sandboxes.filter((s) => s.template === t && s.state === 'ready' && !s.task).length;
    const before = await client.request('sandbox/pools', {});
    assert.equal(before.enabled, true);
    assert.equal(before.sizes['integration-test'], 0, 'the template default');
    const grown = await client.request('sandbox/pools', { sizes: { 'integration-test': 2 } });
    assert.equal(grown.sizes['integration-test'], 2);
    assert.equal(grown.sizes['code-executor'], before.sizes['code-executor'], 'other templates keep their size');
    const deadline = Date.now() + 120_000;
    while ((await ready('integration-test')) < 2) {
      assert.ok(Date.now() < deadline, 'the pool did not fill');
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal((await client.request('sandbox/pools', { sizes: { 'integration-test': 1 } })).sizes['integration-test'], 1);
    assert.equal(await ready('integration-test'), 1, 'shrinking destroys the surplus before it answers');
    await client.request('sandbox/pools', { sizes: { 'integration-test': 0 } });
    assert.equal(await ready('integration-test'), 0);
    await assert.rejects(
      client.request('sandbox/pools', { sizes: { 'no-such-template': 1 } }),
      (err: { code?: string }) => err.code === 'SANDBOX_UNKNOWN_TEMPLATE',
    );
  });
});

/** The criteria as the kernel stored them (JSON: an undefined limit is absent). */
function asStored(c: AutoMergeCriteria): unknown {
  return JSON.parse(JSON.stringify(c));
}
