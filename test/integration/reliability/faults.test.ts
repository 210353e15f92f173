// Fault injection (docker): SIGKILL the kernel at each step of a replayed task — queued, sandbox creating, model
// streaming, tool executing, approval pending, patch set generating, review decided, merge half-written on the host —
// and check what survives (fault-harness.ts: audit, chain, workspace, task outcome, orphans) and that the person can
// carry on.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import { KernelSupervisor } from '../../../bootstrap';
import { merge } from '../../../cli/src/review/actions';
import { call, fin, removeKernel, runTask, sampleWorkspace, type TaskRun, text, writeReplay } from '../agent/helpers';
import { checkAfterKill, killKernel, removeAll, snapshot, treeHash, until } from './fault-harness';

const ROOT = path.resolve(__dirname, '../../..');
const io = (lines: string[]) =>
  ({ out: (l: string) => void lines.push(l), err: (l: string) => void lines.push(l), env: process.env }) as never;
const longExec = ['node', '-e', 'setTimeout(() => {}, 120000)'];

/** Applies a merge plan in a child process that SIGKILLs itself after the first file is renamed into place. */
const CHILD = `
const { applyOps } = require(${JSON.stringify(path.join(ROOT, 'core/src/apply/apply.ts'))});
const [ops, workspace, journalDir, setId] = JSON.parse(process.argv[1]);
applyOps(ops, { workspace, journalDir, setId, onStep: (step, i) => { if (step === 'committed' && i === 0) process.kill(process.pid, 'SIGKILL'); } })
  .then(() => process.exit(3), (e) => { console.error(e); process.exit(4); });`;

describe('fault injection: SIGKILL the kernel at each step of a task (docker)', function () {
  this.timeout(600_000);
  let sup: KernelSupervisor;
  let client: RpcClient;
  let base: string;
  let workspace: string;
  let journalDir: string;
  let pristine: string;

  before(async () => {
    ({ base, workspace } = sampleWorkspace());
    journalDir = path.join(base, 'merges');
    writeReplay(workspace, 'long', [
      [text('Running it.'), ...call(0, 'l1', 'exec', { argv: longExec }), fin('tool-calls')],
      [text('done'), fin('stop')],
    ]);
    writeReplay(workspace, 'create', [
      [...call(0, 'c1', 'exec', { argv: ['true'] }), fin('tool-calls')],
      [text('done'), fin('stop')],
    ]);
    writeReplay(workspace, 'stream', [[...Array.from({ length: 20_000 }, (_, i) => text(`word${i} `)), fin('stop')]]);
    writeReplay(workspace, 'ask', [
      [...call(0, 'a1', 'fs.write', { path: 'CHANGELOG.md', content: 'v1\n' }), fin('tool-calls')],
      [text('done'), fin('stop')],
    ]);
    const many = Array.from({ length: 40 }, (_, i) =>
      call(i, `g${i}`, 'fs.write', { path: `gen/f${i}.txt`, content: `file ${i}\n`.repeat(200) }),
    ).flat();
    writeReplay(workspace, 'generate', [
      [...many, fin('tool-calls')],
      [text('Wrote forty files.'), fin('stop')],
    ]);
    const three = ['a', 'b', 'c'].flatMap((n, i) => call(i, `w${n}`, 'fs.write', { path: `docs/${n}.md`, content: `# ${n}\n` }));
    writeReplay(workspace, 'three', [
      [...three, fin('tool-calls')],
      [text('Wrote three docs.'), fin('stop')],
    ]);
    pristine = treeHash(workspace);
    sup = await KernelSupervisor.start({ workspace, stateRoot: path.join(base, 'state'), runtime: 'docker', maxRestarts: 30 });
    client = await sup.ready();
  });
  after(async () => {
    if (sup) await removeAll(sup, removeKernel);
    fs.rmSync(base, { recursive: true, force: true });
  });

  const interrupted = (s: { status: string | null; message: string | null }) => {
    assert.equal(s.status, 'failed');
    assert.match(s.message ?? '', /interrupted: the kernel stopped/);
  };

  it('queued and tool executing: four tasks in a long exec, a fifth queued behind them', async () => {
    const running: TaskRun[] = [];
    for (let i = 0; i < 4; i++)
      running.push(await runTask(client, { prompt: `long ${i}`, replay: '.replays/long.jsonl', mode: 'explore' }));
    const queued = await runTask(client, { prompt: 'queued', replay: '.replays/long.jsonl', mode: 'explore' });
    const d = sup.engine.docker;
    // Every long command is running in its sandbox (a container on the task's output volume), the fifth waits.
    await until(
      'four execs running',
      async () => {
        for (const r of running) {
          const cs = await d.listContainers({ filters: { volume: [`airlock-out-${r.taskId}`], status: ['running'] } });
          if (!cs.length || !r.events.some((e) => e.type === 'tool-call')) return false;
        }
        return true;
      },
      120_000,
      500,
    );
    const { tasks } = await client.request('tasks/list', {});
    assert.equal(tasks.find((t) => t.id === queued.taskId)?.state, 'queued');
    await new Promise((r) => setTimeout(r, 1000)); // inside the command, not at its start
    const before = await snapshot(client, workspace);
    client = await killKernel(sup, client);
    const ids = [...running.map((r) => r.taskId), queued.taskId];
    const { sessions } = await checkAfterKill(sup, client, workspace, before, { tasks: ids, trees: [pristine] });
    sessions.forEach(interrupted);
  });

  it("sandbox creating: killed as the first command's sandbox is being made", async () => {
    const run = await runTask(client, { prompt: 'create', replay: '.replays/create.jsonl', mode: 'explore' });
    await run.waitFor((e) => e.type === 'tool-call');
    const before = await snapshot(client, workspace);
    client = await killKernel(sup, client);
    const { sessions } = await checkAfterKill(sup, client, workspace, before, { tasks: [run.taskId], trees: [pristine] });
    interrupted(sessions[0]);
  });

  it('model streaming: killed while a turn streams', async () => {
    const run = await runTask(client, { prompt: 'stream', replay: '.replays/stream.jsonl', mode: 'explore' });
    await run.waitFor((e) => e.type === 'text-delta');
    const before = await snapshot(client, workspace);
    client = await killKernel(sup, client);
    assert.ok(!run.events.some((e) => e.type === 'finished'), 'the turn was still streaming at the kill');
    const { sessions } = await checkAfterKill(sup, client, workspace, before, { tasks: [run.taskId], trees: [pristine] });
    interrupted(sessions[0]);
  });

  it('approval pending: the task is marked failed and the old request is refused, not left hanging', async () => {
    const run = await runTask(client, { prompt: 'ask', replay: '.replays/ask.jsonl', mode: 'strict' });
    const ask = await run.waitFor((e) => e.type === 'approval-request');
    assert.ok(ask.type === 'approval-request');
    const before = await snapshot(client, workspace);
    client = await killKernel(sup, client);
    const { sessions } = await checkAfterKill(sup, client, workspace, before, { tasks: [run.taskId], trees: [pristine] });
    interrupted(sessions[0]);
    const { events } = await client.request('sessions/show', { taskId: run.taskId });
    assert.ok(
      events.some((e) => e.event.type === 'approval-request'),
      'the transcript keeps the question that was asked',
    );
    assert.equal(events.at(-1)?.event.type, 'finished', 'and ends with why it stopped');
    const answer = await client.request('task/approve', { taskId: run.taskId, requestId: ask.requestId, decision: 'allow' }).then(
      (r) => r.accepted,
      () => false,
    );
    assert.equal(answer, false, 'an answer to the dead request is not taken');
  });

  it('patch set generating: killed as the final turn starts; a set, if stored, is whole', async () => {
    const run = await runTask(client, { prompt: 'generate', replay: '.replays/generate.jsonl', mode: 'explore' });
    await run.waitFor((e) => e.type === 'turn-start' && e.turn === 2);
    const before = await snapshot(client, workspace);
    client = await killKernel(sup, client);
    const { sessions } = await checkAfterKill(sup, client, workspace, before, { tasks: [run.taskId], trees: [pristine] });
    assert.ok(
      sessions[0].status === 'completed' || /interrupted: the kernel stopped/.test(sessions[0].message ?? ''),
      sessions[0].message ?? '',
    );
    const { sets } = await client.request('review/list', {});
    for (const s of sets.filter((x) => x.taskId === run.taskId)) {
      assert.equal((await client.request('review/show', { id: s.id })).set.files.length, 40, 'a stored set has every file');
    }
  });

  it('review decided: the decisions survive, and merging afterwards writes exactly the accepted file', async () => {
    const run = await runTask(client, { prompt: 'three', replay: '.replays/three.jsonl', mode: 'explore' });
    assert.equal((await run.finished).status, 'completed');
    const setId = run.ready[0].setId;
    await client.request('review/decide', {
      setId,
      items: [
        { path: 'docs/a.md', decision: 'accept' },
        { path: 'docs/b.md', decision: 'reject' },
        { path: 'docs/c.md', decision: 'reject' },
      ],
    });
    const decided = (await client.request('review/show', { id: setId })).review;
    const before = await snapshot(client, workspace);
    client = await killKernel(sup, client);
    const { sessions } = await checkAfterKill(sup, client, workspace, before, { tasks: [run.taskId], trees: [pristine] });
    assert.equal(sessions[0].status, 'completed', 'a finished task stays as it finished');
    assert.deepEqual((await client.request('review/show', { id: setId })).review, decided, 'a decided review stays decided');
    const out: string[] = [];
    assert.equal(await merge({ client, workspace, io: io(out), journalDir }, setId), 0, out.join('\n'));
    assert.equal(fs.readFileSync(path.join(workspace, 'docs/a.md'), 'utf8'), '# a\n');
    assert.ok(!fs.existsSync(path.join(workspace, 'docs/b.md')) && !fs.existsSync(path.join(workspace, 'docs/c.md')));
    fs.rmSync(path.join(workspace, 'docs/a.md'));
    fs.rmdirSync(path.join(workspace, 'docs'));
    assert.equal(treeHash(workspace), pristine);
  });

  it('merge half-written on the host: the CLI dies after one of three files, the kernel too; the next merge finishes it', async () => {
    const run = await runTask(client, { prompt: 'three again', replay: '.replays/three.jsonl', mode: 'explore' });
    assert.equal((await run.finished).status, 'completed');
    const setId = run.ready[0].setId;
    await client.request('review/decide', {
      setId,
      items: ['a', 'b', 'c'].map((n) => ({ path: `docs/${n}.md`, decision: 'accept' as const })),
    });
    const plan = await client.request('review/plan', { id: setId });
    assert.equal(plan.ops.length, 3);
    const full = fullyMerged(workspace, { 'docs/a.md': '# a\n', 'docs/b.md': '# b\n', 'docs/c.md': '# c\n' });
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', CHILD, JSON.stringify([plan.ops, workspace, journalDir, setId])], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: ROOT,
    });
    let stderr = '';
    child.stderr.on('data', (b) => {
      stderr += b;
    });
    const [, signal] = await new Promise<[number | null, string | null]>((r) => child.on('exit', (c, s) => r([c, s])));
    assert.equal(signal, 'SIGKILL', `the merging CLI was killed mid-merge (${stderr})`);
    const half = treeHash(workspace);
    assert.ok(half !== pristine && half !== full, 'the fault left the workspace half-merged');
    const before = await snapshot(client, workspace);
    client = await killKernel(sup, client);
    // The person carries on: `airlock review merge` again finishes the interrupted merge and records it.
    const out: string[] = [];
    assert.equal(await merge({ client, workspace, io: io(out), journalDir }, setId), 0, out.join('\n'));
    const { sessions } = await checkAfterKill(sup, client, workspace, before, { tasks: [run.taskId], trees: [full] });
    assert.equal(sessions[0].status, 'completed');
    const { sets } = await client.request('review/list', {});
    assert.equal(sets.find((s) => s.id === setId)?.status, 'merged', out.join('\n'));
    const merged = await client.request('audit/query', { action: 'review.merged', order: 'desc', limit: 5, payloads: true });
    assert.ok(
      merged.entries.some((e) => e.resource.includes(setId) || JSON.stringify(e.payload).includes(setId)),
      'the merge is audited',
    );
  });
});

/** The tree hash the workspace would have with `files` written into it. */
function fullyMerged(workspace: string, files: Record<string, string>): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-full-'));
  try {
    fs.cpSync(workspace, copy, { recursive: true });
    for (const [p, c] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(copy, p)), { recursive: true });
      fs.writeFileSync(path.join(copy, p), c);
    }
    return treeHash(copy);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}
