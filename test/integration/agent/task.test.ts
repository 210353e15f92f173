// Agent tasks end to end through the real kernel container: replay provider, real code-executor sandboxes on Docker,
// policy, audit and patch sets.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { TaskEvent } from '../../../protocol/src/agent';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import type { KernelSupervisor } from '../../../bootstrap';
import {
  call,
  fin,
  readTree,
  removeKernel,
  runTask,
  SAMPLE_REPLAY,
  sampleWorkspace,
  startKernel,
  text,
  usage,
  writeReplay,
} from './helpers';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const results = (events: TaskEvent[]) => events.flatMap((e) => (e.type === 'tool-result' ? [e.result] : []));
const containersOf = async (taskId: string) => docker.listContainers({ all: true, filters: { volume: [`airlock-out-${taskId}`] } });

const NEW_TEST = fs.readFileSync(path.resolve(__dirname, '../../../examples/sample-project.replay.jsonl'), 'utf8').split('\n')[2];

describe('agent tasks through the kernel (replay provider, Docker sandboxes)', function () {
  this.timeout(240_000);
  let sup: KernelSupervisor;
  let client: RpcClient;
  let base: string;
  let workspace: string;
  let pristine: Record<string, string>;

  before(async () => {
    ({ base, workspace } = sampleWorkspace());
    sup = await startKernel(workspace, path.join(base, 'state'));
    client = await sup.ready();
    // Replays written by hand for the tests below; written before the snapshot of the workspace.
    writeReplay(workspace, 'deny', [
      [text('Let me fetch the docs.'), ...call(0, 'c1', 'exec', { argv: ['curl', 'https://example.com'] }), fin('tool-calls')],
      [text('Network commands are not allowed here, so I will work offline.'), fin('stop')],
    ]);
    writeReplay(workspace, 'budget', [
      [...call(0, 'b1', 'fs.write', { path: 'notes.txt', content: 'one\n' }), usage(100, 10), fin('tool-calls')],
      [...call(0, 'b2', 'fs.read', { path: 'notes.txt' }), usage(100, 10), fin('tool-calls')],
      [...call(0, 'b3', 'fs.read', { path: 'src/stats.js' }), usage(100, 10), fin('tool-calls')],
      [text('done'), fin('stop')],
    ]);
    writeReplay(workspace, 'cancel', [
      [...call(0, 'x1', 'fs.write', { path: 'half.txt', content: 'half done\n' }), fin('tool-calls')],
      [
        text('Running a long command.'),
        ...call(0, 'x2', 'exec', { argv: ['node', '-e', 'setTimeout(() => {}, 60000)'] }),
        fin('tool-calls'),
      ],
      [text('never reached'), fin('stop')],
    ]);
    writeReplay(workspace, 'session', [
      [...call(0, 's1', 'fs.write', { path: 'CHANGELOG.md', content: 'v1\n' }), fin('tool-calls')],
      [...call(0, 's2', 'fs.write', { path: 'CHANGELOG.md', content: 'v2\n' }), fin('tool-calls')],
      [...call(0, 's3', 'fs.write', { path: 'other.md', content: 'x\n' }), fin('tool-calls')],
      [text('Wrote the changelog.'), fin('stop')],
    ]);
    writeReplay(workspace, 'secret', [
      [...call(0, 'k1', 'fs.write', { path: 'notes.txt', content: 'key=zz-configured-secret-0042\n' }), fin('tool-calls')],
      [text('Saved.'), fin('stop')],
    ]);
    pristine = readTree(workspace);
  });
  after(async () => {
    if (sup) await removeKernel(sup);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('runs the sample task: reads, greps, edits two files, runs the tests in the sandbox, ends with the exact patch set and audit trail', async () => {
    const run = await runTask(client, {
      prompt: 'Fix the median bug in src/stats.js and add a test',
      replay: SAMPLE_REPLAY,
      mode: 'explore',
    });
    const done = await run.finished;
    assert.equal(done.status, 'completed', done.message);
    assert.match(done.message, /^Fixed `median`.*\n\nPatch set ps_\w+: 2 file\(s\)\.$/s);
    const r = results(run.events);
    assert.deepEqual(
      r.map((x) => [x.name, x.ok]),
      [
        ['fs.list', true],
        ['fs.read', true],
        ['search.grep', true],
        ['fs.edit', true],
        ['fs.write', true],
        ['exec', true],
      ],
    );
    assert.match(r[2].content, /src\/report\.js:\d+:.*median\(times\)/);
    assert.match(r[5].content, /^exit code 0\n/);
    assert.match(r[5].content, /# pass 4\n/, 'the new test ran in the sandbox together with the three existing ones');
    // patches/ready came before the final event, for this task, with two files.
    assert.equal(run.ready.length, 1);
    const setId = run.ready[0].setId;
    assert.deepEqual({ files: run.ready[0].files, blocked: run.ready[0].blocked }, { files: 2, blocked: 0 });
    const { set } = await client.request('review/show', { id: setId });
    assert.equal(set.taskId, run.taskId);
    assert.deepEqual(
      set.files.map((f) => `${f.type} ${f.path}`),
      ['modify src/stats.js', 'add test/median.test.js'],
    );
    const mod = set.files[0];
    assert.ok(mod.type === 'modify');
    assert.deepEqual(
      mod.hunks.flatMap((h) => h.lines.filter((l) => l.startsWith('+') || l.startsWith('-'))),
      ['-  const sorted = [...values].sort();', '+  const sorted = [...values].sort((a, b) => a - b);'],
    );
    const added = set.files[1];
    assert.ok(added.type === 'add');
    const newTest = JSON.parse(
      JSON.parse(NEW_TEST).events.find((e: { type: string; name?: string }) => e.type === 'tool-call-end' && e.name === 'fs.write')
        .arguments,
    ).content as string;
    assert.deepEqual(
      added.hunks.flatMap((h) => h.lines),
      newTest
        .replace(/\n$/, '')
        .split('\n')
        .map((l) => `+${l}`),
    );
    assert.deepEqual(readTree(workspace), pristine, 'the workspace is untouched until the person merges');
    assert.deepEqual(await containersOf(run.taskId), [], 'the sandbox is gone');
    // Audit trail: task start, synchronous policy decisions for every call, the sandbox lifecycle, the patch set, the end.
    const { entries } = await client.request('audit/query', { session: run.taskId, order: 'asc', limit: 500, payloads: true });
    const actions = entries.map((e) => e.action);
    assert.equal(actions[0], 'task.start');
    assert.equal(actions.at(-1), 'task.finish');
    const decisions = entries.filter((e) => e.action === 'tool.decision').map((e) => `${e.resource}:${e.decision}`);
    assert.deepEqual(decisions, ['fs.list:allow', 'fs.read:allow', 'search.grep:allow', 'fs.edit:allow', 'fs.write:allow', 'exec:allow']);
    const sbx = entries.find((e) => e.action === 'task.sandbox')?.payload as { sandboxId: string };
    assert.ok(sbx?.sandboxId);
    const life = (await client.request('audit/query', { resource: sbx.sandboxId, order: 'asc', limit: 50 })).entries.map((e) => e.action);
    assert.deepEqual([life[0], life.at(-1)], ['sandbox.creating', 'sandbox.destroyed']);
    assert.ok(life.includes('sandbox.ready'));
    const patches = entries.find((e) => e.action === 'task.patches')?.payload as { setId: string; testsPassed: boolean };
    assert.deepEqual({ setId: patches.setId, testsPassed: patches.testsPassed }, { setId, testsPassed: true });
    const generated = (await client.request('audit/query', { action: 'review.generated', resource: setId, limit: 5 })).entries;
    assert.equal(generated.length, 1, 'the patch set itself is recorded');
    assert.equal((await client.request('audit/verify', {})).type, 'intact');
  });

  it('reports a denied tool call to the model and the loop continues', async () => {
    const run = await runTask(client, { prompt: 'Read the docs online', replay: '.replays/deny.jsonl', mode: 'explore' });
    const done = await run.finished;
    assert.equal(done.status, 'completed');
    assert.equal(done.message, 'Network commands are not allowed here, so I will work offline.');
    const [r] = results(run.events);
    assert.equal(r.ok, false);
    assert.match(r.content, /POLICY_DENIED: policy denied exec/);
    assert.ok(
      run.events.some((e) => e.type === 'turn-start' && e.turn === 2),
      'a second model turn ran after the denial',
    );
    assert.equal(run.ready.length, 0, 'no edits, no patch set');
    const { entries } = await client.request('audit/query', { session: run.taskId, action: 'tool.decision', limit: 10 });
    assert.deepEqual(
      entries.map((e) => e.decision),
      ['deny'],
    );
  });

  it('stops at the turns budget with a clear message and no patch set', async () => {
    const run = await runTask(client, { prompt: 'Take notes', replay: '.replays/budget.jsonl', mode: 'explore', budgets: { maxTurns: 2 } });
    const done = await run.finished;
    assert.equal(done.status, 'budget-exceeded');
    assert.match(done.message, /turns budget is used up/);
    assert.ok(
      results(run.events).some((x) => x.name === 'fs.write' && x.ok),
      'the task had written a file before the stop',
    );
    assert.equal(run.ready.length, 0);
    assert.deepEqual(readTree(workspace), pristine);
  });

  it('cancels mid-command: the sandbox is stopped, nothing is proposed, the workspace is untouched', async () => {
    const run = await runTask(client, { prompt: 'Do something slow', replay: '.replays/cancel.jsonl', mode: 'explore' });
    await run.waitFor((e) => e.type === 'tool-call' && e.call.name === 'exec');
    // Wait until the command's sandbox exists, then cancel while it runs.
    for (let i = 0; i < 100 && (await containersOf(run.taskId)).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await containersOf(run.taskId)).length, 1);
    assert.deepEqual(await client.request('task/cancel', { taskId: run.taskId }), { cancelled: true });
    const done = await run.finished;
    assert.equal(done.status, 'cancelled');
    assert.deepEqual(await containersOf(run.taskId), [], 'no container of this task is left');
    assert.equal(run.ready.length, 0);
    assert.deepEqual(readTree(workspace), pristine);
    assert.deepEqual(await client.request('task/cancel', { taskId: run.taskId }), { cancelled: false });
  });

  it('keeps a configured API key out of the audit log (redacted in payloads)', async () => {
    assert.deepEqual(await client.request('provider/configure', { provider: 'openai', apiKey: 'zz-configured-secret-0042' }), {
      configured: true,
    });
    const run = await runTask(client, { prompt: 'Save the key', replay: '.replays/secret.jsonl', mode: 'explore' });
    assert.equal((await run.finished).status, 'completed');
    const { entries } = await client.request('audit/query', { session: run.taskId, order: 'asc', limit: 100, payloads: true });
    const text = JSON.stringify(entries);
    assert.ok(!text.includes('zz-configured-secret-0042'), 'the key never reaches the audit log in clear');
    assert.match(text, /REDACTED/);
  });

  it('allow-session mints a token: the next identical write is allowed without asking, a different one still asks', async () => {
    const run = await runTask(client, { prompt: 'Write the changelog', replay: '.replays/session.jsonl', mode: 'strict' });
    const first = await run.waitFor((e) => e.type === 'approval-request');
    assert.ok(first.type === 'approval-request' && first.call.name === 'fs.write');
    assert.deepEqual(await client.request('task/approve', { taskId: run.taskId, requestId: first.requestId, decision: 'allow-session' }), {
      accepted: true,
    });
    const second = await run.waitFor((e) => e.type === 'approval-request' && e.requestId !== first.requestId);
    assert.ok(second.type === 'approval-request');
    assert.match(second.call.arguments, /other\.md/, 'the second CHANGELOG.md write was not asked about');
    await client.request('task/approve', { taskId: run.taskId, requestId: second.requestId, decision: 'deny' });
    const done = await run.finished;
    assert.equal(done.status, 'completed');
    assert.deepEqual(
      results(run.events).map((x) => [x.name, x.ok]),
      [
        ['fs.write', true],
        ['fs.write', true],
        ['fs.write', false],
      ],
    );
    const { entries } = await client.request('audit/query', {
      session: run.taskId,
      action: 'tool.decision',
      order: 'asc',
      limit: 10,
      payloads: true,
    });
    assert.deepEqual(
      entries.map((e) => e.decision),
      ['ask', 'allow', 'ask'],
    );
    assert.match((entries[1].payload as { reason: string }).reason, /approved by capability token kernel#\d+/);
    const set = (await client.request('review/show', { id: run.ready[0].setId })).set;
    assert.deepEqual(
      set.files.map((f) => `${f.type} ${f.path}`),
      ['add CHANGELOG.md'],
    );
  });
});
