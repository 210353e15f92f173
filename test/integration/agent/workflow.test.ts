// Agent tasks obey their workflow mode, end to end through the real kernel container (Docker sandboxes, replay provider):
// strict refuses implementation edits before red and turns green only on a sandboxed run; explore edits freely; a kernel
// killed with SIGKILL mid-task comes back with the session in its exact persisted state.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { TaskEvent, WorkflowTaskEvent } from '../../../protocol/src/agent';
import type { IDisposable } from '../../../protocol/src/lifecycle';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import type { KernelSupervisor } from '../../../bootstrap';
import { call, fin, removeKernel, runTask, sampleWorkspace, startKernel, text, writeReplay } from './helpers';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const STRICT_REPLAY = '/opt/airlock/examples/sample-project.strict.replay.jsonl';
const results = (events: TaskEvent[]) => events.flatMap((e) => (e.type === 'tool-result' ? [e.result] : []));
const wfEvents = (events: TaskEvent[]) => events.filter((e): e is WorkflowTaskEvent => e.type === 'workflow');
const FAILING_TEST =
  "const test = require('node:test');\nconst assert = require('node:assert/strict');\nconst { median } = require('../src/stats');\n\ntest('median of multi-digit numbers', () => {\n  assert.equal(median([100, 20, 3, 4]), 12);\n});\n";

/** Answers every approval request of this client's tasks with allow (strict policy asks for writes and test runs). */
function autoApprove(client: RpcClient): IDisposable {
  return client.onEvent('task/event', (d) => {
    if (d.event.type === 'approval-request')
      void client.request('task/approve', { taskId: d.taskId, requestId: d.event.requestId, decision: 'allow' }).catch(() => undefined);
  });
}

describe('agent tasks obey the workflow (real kernel, Docker sandboxes)', function () {
  this.timeout(300_000);
  let sup: KernelSupervisor;
  let client: RpcClient;
  let base: string;
  let workspace: string;
  let approver: IDisposable;

  before(async () => {
    ({ base, workspace } = sampleWorkspace());
    writeReplay(workspace, 'explore', [
      [
        text('Fixing the sort.'),
        ...call(0, 'e1', 'fs.edit', {
          path: 'src/stats.js',
          oldText: 'const sorted = [...values].sort();',
          newText: 'const sorted = [...values].sort((a, b) => a - b);',
        }),
        fin('tool-calls'),
      ],
      [text('Sorted numerically.'), fin('stop')],
    ]);
    writeReplay(workspace, 'crash', [
      [...call(0, 'k1', 'fs.write', { path: 'test/multi.test.js', content: FAILING_TEST }), fin('tool-calls')],
      [...call(0, 'k2', 'exec', { argv: ['npm', 'test'] }), fin('tool-calls')],
      [text('Waiting a while.'), ...call(0, 'k3', 'exec', { argv: ['node', '-e', 'setTimeout(() => {}, 120000)'] }), fin('tool-calls')],
      [text('never reached'), fin('stop')],
    ]);
    const fixOld = 'const sorted = [...values].sort();';
    writeReplay(workspace, 'debug', [
      [
        ...call(0, 'd1', 'fs.edit', {
          path: 'src/stats.js',
          oldText: fixOld,
          newText: 'const sorted = [...values].sort((a, b) => a - b);',
        }),
        fin('tool-calls'),
      ],
      [...call(0, 'd2', 'fs.write', { path: 'test/multi.test.js', content: FAILING_TEST }), fin('tool-calls')],
      [...call(0, 'd3', 'exec', { argv: ['npm', 'test'] }), fin('tool-calls')],
      [...call(0, 'd4', 'workflow.transition', { to: 'fix', hypothesis: 'sort() compares numbers as strings' }), fin('tool-calls')],
      [
        ...call(0, 'd5', 'fs.edit', {
          path: 'src/stats.js',
          oldText: fixOld,
          newText: 'const sorted = [...values].sort((a, b) => a - b);\n  console.error(sorted); // AIRLOCK-INSTRUMENT',
        }),
        fin('tool-calls'),
      ],
      [...call(0, 'd6', 'exec', { argv: ['npm', 'test'] }), fin('tool-calls')],
      [text('Fixed.'), fin('stop')],
      [
        ...call(0, 'd7', 'fs.edit', { path: 'src/stats.js', oldText: '\n  console.error(sorted); // AIRLOCK-INSTRUMENT', newText: '' }),
        fin('tool-calls'),
      ],
      [text('Fixed, instrumentation removed.'), fin('stop')],
    ]);
    const append = "require('fs').appendFileSync('src/stats.js', '// changed by a command\\n')";
    const restore =
      "const fs = require('fs'); const s = fs.readFileSync('src/stats.js', 'utf8'); fs.writeFileSync('src/stats.js', s.replace('// changed by a command\\n', ''))";
    writeReplay(workspace, 'sneak', [
      [...call(0, 'n1', 'exec', { argv: ['node', '-e', append] }), fin('tool-calls')],
      [...call(0, 'n2', 'fs.write', { path: 'test/multi.test.js', content: FAILING_TEST }), fin('tool-calls')],
      [...call(0, 'n3', 'exec', { argv: ['npm', 'test'] }), fin('tool-calls')],
      [...call(0, 'n4', 'exec', { argv: ['node', '-e', restore] }), fin('tool-calls')],
      [...call(0, 'n5', 'exec', { argv: ['npm', 'test'] }), fin('tool-calls')],
      [text('Red now.'), fin('stop')],
      [text('Still finishing.'), fin('stop')],
      [text('Finishing anyway.'), fin('stop')],
    ]);
    writeReplay(workspace, 'stuck', [
      [
        text('Running something long.'),
        ...call(0, 's1', 'exec', { argv: ['node', '-e', 'setTimeout(() => {}, 120000)'] }),
        fin('tool-calls'),
      ],
      [text('never reached'), fin('stop')],
    ]);
    writeReplay(workspace, 'resume', [[text('Looked at the session; nothing to change yet.'), fin('stop')]]);
    // Commands run as uid 1000: let them write src/stats.js, as a project owned by the person would.
    fs.chmodSync(path.join(workspace, 'src/stats.js'), 0o666);
    sup = await startKernel(workspace, path.join(base, 'state'));
    client = await sup.ready();
    approver = autoApprove(client);
  });
  after(async () => {
    approver?.dispose();
    if (sup) await removeKernel(sup);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('strict: the implementation edit is refused until a failing test is seen (red), green on the sandboxed run, review, then the patch set', async () => {
    const run = await runTask(client, { prompt: 'Fix the median bug in src/stats.js', replay: STRICT_REPLAY, mode: 'strict' });
    const done = await run.finished;
    assert.equal(done.status, 'completed', done.message);
    assert.match(done.message, /Patch set ps_\w+: 2 file\(s\)\.$/);
    const r = results(run.events);
    assert.deepEqual(
      r.map((x) => [x.name, x.ok]),
      [
        ['fs.edit', false],
        ['fs.write', true],
        ['exec', true],
        ['fs.edit', true],
        ['exec', true],
      ],
    );
    // The model saw why the first edit was refused and what to do.
    assert.equal(r[0].error?.code, 'WORKFLOW_EDIT_REFUSED');
    assert.match(r[0].content, /guard failingTestSeen/);
    assert.match(r[0].content, /write a failing test first and run it/);
    assert.match(r[2].content, /\[workflow\] spec -> red: failingTestSeen: 1 failing: median sorts numbers by value, not as strings/);
    assert.match(r[4].content, /\[workflow\] red -> green: newTestsPass: 1 watched test\(s\) now pass/);
    // The chat sees the workflow state change by change.
    const wf = wfEvents(run.events);
    const sessionId = wf[0].sessionId;
    assert.deepEqual(
      wf.map((e) => [e.change, e.state, e.guard ?? null]),
      [
        ['start', 'spec', null],
        ['blocked', 'spec', 'failingTestSeen'],
        ['transition', 'red', null],
        ['transition', 'green', null],
        ['transition', 'review', null],
      ],
    );
    // The session is in review with the exact chained history.
    const got = await client.request('workflow/get', { sessionId, history: 50 });
    assert.equal(got.sessions[0].state, 'review');
    assert.equal(got.sessions[0].mode, 'strict');
    assert.deepEqual(
      got.history.map((h) => `${h.kind}:${h.from ?? '-'}>${h.to}:${h.actor}`),
      ['create:->spec:kernel', 'transition:spec>red:agent', 'transition:red>green:agent', 'transition:green>review:agent'],
    );
    assert.deepEqual(got.history[1].detail.guards, ['failingTestSeen']);
    // The patch set: the fix and the test.
    const { set } = await client.request('review/show', { id: run.ready[0].setId });
    assert.deepEqual(
      set.files.map((f) => `${f.type} ${f.path}`),
      ['modify src/stats.js', 'add test/median.test.js'],
    );
    // The refused edit is in the audit log with its guard, before any policy decision about it.
    const { entries } = await client.request('audit/query', { session: run.taskId, order: 'asc', limit: 500, payloads: true });
    const refused = entries.filter((e) => e.action === 'workflow.refused');
    assert.equal(refused.length, 1);
    assert.deepEqual(
      {
        decision: refused[0].decision,
        rules: refused[0].ruleIds,
        guard: (refused[0].payload as { guard: string }).guard,
        paths: (refused[0].payload as { paths: string[] }).paths,
      },
      { decision: 'deny', rules: ['failingTestSeen'], guard: 'failingTestSeen', paths: ['src/stats.js'] },
    );
    assert.deepEqual(
      entries.filter((e) => e.action === 'workflow.transition').map((e) => (e.payload as { to: string }).to),
      ['red', 'green', 'review'],
    );
    assert.deepEqual(
      entries.filter((e) => e.action === 'tool.decision').map((e) => e.resource),
      ['fs.write', 'exec', 'fs.edit', 'exec'],
      'the refused edit never reached the policy',
    );
    assert.equal((await client.request('audit/verify', {})).type, 'intact');
  });

  it('strict: an implementation file changed by a command before red blocks red until it is restored', async () => {
    const run = await runTask(client, { prompt: 'Sneak a change in', replay: '.replays/sneak.jsonl', mode: 'strict' });
    const done = await run.finished;
    const r = results(run.events);
    assert.deepEqual(
      r.map((x) => [x.name, x.ok]),
      [
        ['exec', true],
        ['fs.write', true],
        ['exec', true],
        ['exec', true],
        ['exec', true],
      ],
    );
    assert.match(
      r[2].content,
      /\[workflow\] still in spec: spec -> red refused by guard failingTestSeen: implementation files were changed \(by a command\) before a failing test was seen: src\/stats\.js/,
    );
    assert.match(r[4].content, /\[workflow\] spec -> red: failingTestSeen: 1 failing: median of multi-digit numbers/);
    // It ends in red: a failing test alone cannot reach review, so no patch set leaves.
    assert.equal(done.status, 'failed', done.message);
    assert.equal(done.error?.code, 'WORKFLOW_NOT_IN_REVIEW');
    assert.equal(run.ready.length, 0);
    assert.equal(run.events.filter((e) => e.type === 'turn-start').length, 8, 'told twice that it cannot finish, then stopped');
    const refused = (
      await client.request('audit/query', { session: run.taskId, action: 'workflow.refused', order: 'asc', limit: 10, payloads: true })
    ).entries;
    assert.deepEqual((refused[0].payload as { paths: string[] }).paths, ['src/stats.js']);
  });

  it('explore: edits implementation files freely; finishing moves the session to review', async () => {
    const run = await runTask(client, { prompt: 'Fix the sort', replay: '.replays/explore.jsonl', mode: 'explore' });
    const done = await run.finished;
    assert.equal(done.status, 'completed', done.message);
    assert.deepEqual(
      results(run.events).map((x) => [x.name, x.ok]),
      [['fs.edit', true]],
    );
    assert.deepEqual(
      wfEvents(run.events).map((e) => [e.change, e.state]),
      [
        ['start', 'editing'],
        ['transition', 'review'],
      ],
    );
    const { set } = await client.request('review/show', { id: run.ready[0].setId });
    assert.deepEqual(
      set.files.map((f) => `${f.type} ${f.path}`),
      ['modify src/stats.js'],
    );
  });

  it('debug: reproduce before fixing, hypothesis via workflow.transition, and no patch set while instrumentation remains', async () => {
    const run = await runTask(client, { prompt: 'Find the median bug', replay: '.replays/debug.jsonl', mode: 'debug' });
    const done = await run.finished;
    assert.equal(done.status, 'completed', done.message);
    const r = results(run.events);
    assert.deepEqual(
      r.map((x) => [x.name, x.ok]),
      [
        ['fs.edit', false],
        ['fs.write', true],
        ['exec', true],
        ['workflow.transition', true],
        ['fs.edit', true],
        ['exec', true],
        ['fs.edit', true],
      ],
    );
    assert.match(r[0].content, /guard reproducedFailing/);
    assert.match(r[2].content, /\[workflow\] reproduce -> hypothesise/);
    assert.match(r[5].content, /\[workflow\] fix -> verify/);
    // The first finish was refused (instrumentation left) and the model was told; the second reached review.
    const wf = wfEvents(run.events);
    assert.deepEqual(
      wf.map((e) => [e.change, e.state, e.guard ?? null]),
      [
        ['start', 'reproduce', null],
        ['blocked', 'reproduce', 'reproducedFailing'],
        ['transition', 'hypothesise', null],
        ['transition', 'fix', null],
        ['transition', 'verify', null],
        ['refused', 'verify', 'instrumentationRemoved'],
        ['transition', 'review', null],
      ],
    );
    const { set } = await client.request('review/show', { id: run.ready[0].setId });
    assert.ok(set.files.every((f) => f.type !== 'modify' || f.hunks.every((h) => h.lines.every((l) => !l.includes('AIRLOCK-INSTRUMENT')))));
    const got = await client.request('workflow/get', { sessionId: wf[0].sessionId, history: 50 });
    assert.deepEqual(
      got.history.map((h) => `${h.kind}:${h.to}`),
      ['create:reproduce', 'transition:hypothesise', 'transition:fix', 'transition:verify', 'refused:verify', 'transition:review'],
    );
    assert.match(JSON.stringify(got.history[2].detail), /sort\(\) compares numbers as strings/);
  });

  it('a follow-up sent right after Stop starts once the stopped task has ended (no WORKFLOW_SESSION_BUSY)', async () => {
    const first = await runTask(client, { prompt: 'Run it', replay: '.replays/stuck.jsonl', mode: 'explore' });
    await first.waitFor((e) => e.type === 'tool-call' && e.call.id === 's1');
    assert.equal((await client.request('task/cancel', { taskId: first.taskId })).cancelled, true);
    // At once, as the chat's queue or a person pressing Send right after Stop does: the stopped task is still tearing
    // down its sandbox and output volume.
    const next = await runTask(client, { prompt: 'Carry on', replay: '.replays/resume.jsonl', sessionId: first.taskId });
    assert.equal((await first.finished).status, 'cancelled');
    const done = await next.finished;
    assert.equal(done.status, 'completed', done.message);
    assert.ok(
      first.events.findIndex((e) => e.type === 'finished') >= 0 && wfEvents(next.events).some((e) => e.change === 'resume'),
      'the follow-up resumed the same workflow session',
    );
  });

  it('kill -9 of the kernel mid-task: after the restart the session is in its exact persisted state and a new task resumes it', async () => {
    const run = await runTask(client, { prompt: 'Add a failing test', replay: '.replays/crash.jsonl', mode: 'strict' });
    await run.waitFor((e) => e.type === 'workflow' && e.change === 'transition' && e.state === 'red');
    await run.waitFor((e) => e.type === 'tool-call' && e.call.id === 'k3');
    const sessionId = run.taskId;
    const before = await client.request('workflow/get', { sessionId, history: 50 });
    assert.equal(before.sessions[0].state, 'red');
    assert.deepEqual(before.sessions[0].watchedTests.length, 1);
    const old = client;
    approver.dispose();
    await docker.getContainer(`airlock-kernel-${sup.paths.id}`).kill({ signal: 'SIGKILL' });
    for (let i = 0; i < 600 && !(sup.state.type === 'ready' && sup.state.client !== old); i++) await new Promise((r) => setTimeout(r, 100));
    client = await sup.ready();
    assert.notEqual(client, old, 'a new kernel answered');
    approver = autoApprove(client);
    const after = await client.request('workflow/get', { sessionId, history: 50 });
    assert.deepEqual(after.sessions[0], before.sessions[0]);
    assert.deepEqual(after.history, before.history);
    // A new task in that session starts where it stopped: red, watching the same test.
    const next = await runTask(client, { prompt: 'Carry on', replay: '.replays/resume.jsonl', sessionId });
    const done = await next.finished;
    assert.equal(done.status, 'completed', done.message);
    assert.deepEqual(
      wfEvents(next.events).map((e) => [e.change, e.sessionId, e.mode, e.state]),
      [['resume', sessionId, 'strict', 'red']],
    );
    const last = await client.request('workflow/get', { sessionId, history: 50 });
    assert.deepEqual(last.sessions[0].watchedTests, before.sessions[0].watchedTests);
    assert.equal(last.sessions[0].state, 'red');
  });
});
