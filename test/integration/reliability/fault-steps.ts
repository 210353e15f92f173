// The fault-injection matrix's rows, shared by every fault (kernel SIGKILL, engine restart) and engine: each row brings a
// replayed task to one step — queued, sandbox creating, model streaming, tool executing, approval pending, patch set
// generating, review decided, merge half-written on the host — injects the fault, and checks what must survive
// (fault-harness.ts) and that the person can carry on.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import type { BootstrapConfig } from '../../../core/src/config/bootstrap';
import { KernelSupervisor } from '../../../bootstrap';
import { merge } from '../../../cli/src/review/actions';
import { call, fin, removeKernel, runTask, sampleWorkspace, type TaskRun, text, writeReplay } from '../agent/helpers';
import { checkAfterKill, removeAll, snapshot, treeHash, until } from './fault-harness';

const ROOT = path.resolve(__dirname, '../../..');

/** The fault under test: injected at the step, it returns the client of the kernel that runs afterwards. */
export type Fault = (sup: KernelSupervisor, client: RpcClient) => Promise<RpcClient>;

/** One kernel and workspace the rows run against in turn (`client` moves on with each fault). */
export interface FaultBed {
  sup: KernelSupervisor;
  client: RpcClient;
  workspace: string;
  journalDir: string;
  pristine: string;
}

export type StepName =
  | 'queued and tool executing'
  | 'sandbox creating'
  | 'model streaming'
  | 'approval pending'
  | 'patch set generating'
  | 'review decided'
  | 'merge half-written';

const io = (lines: string[]) =>
  ({ out: (l: string) => void lines.push(l), err: (l: string) => void lines.push(l), env: process.env }) as never;
const longExec = ['node', '-e', 'setTimeout(() => {}, 120000)'];

/** Applies a merge plan in a child process that SIGKILLs itself after the first file is renamed into place. */
const CHILD = `
const { applyOps } = require(${JSON.stringify(path.join(ROOT, 'core/src/apply/apply.ts'))});
const [ops, workspace, journalDir, setId] = JSON.parse(process.argv[1]);
applyOps(ops, { workspace, journalDir, setId, onStep: (step, i) => { if (step === 'committed' && i === 0) process.kill(process.pid, 'SIGKILL'); } })
  .then(() => process.exit(3), (e) => { console.error(e); process.exit(4); });`;

/** The replays every row uses, written into the workspace before the kernel starts. */
export function writeStepReplays(workspace: string): void {
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
}

/** A copy of the sample project with the rows' replays and a kernel on it (`engine`: runtime, socket); `close` removes
 * the kernel, everything it held, and the folder. Many restarts are allowed: every row restarts the kernel once. */
export async function startBed(engine: Partial<BootstrapConfig>): Promise<FaultBed & { close(): Promise<void> }> {
  const { base, workspace } = sampleWorkspace();
  const close = async (sup?: KernelSupervisor) => {
    if (sup) await removeAll(sup, removeKernel);
    fs.rmSync(base, { recursive: true, force: true });
  };
  try {
    writeStepReplays(workspace);
    const pristine = treeHash(workspace);
    const sup = await KernelSupervisor.start({ ...engine, workspace, stateRoot: path.join(base, 'state'), maxRestarts: 30 });
    return { sup, client: await sup.ready(), workspace, journalDir: path.join(base, 'merges'), pristine, close: () => close(sup) };
  } catch (e) {
    await close();
    throw e;
  }
}

const interrupted = (s: { status: string | null; message: string | null }) => {
  assert.equal(s.status, 'failed');
  assert.match(s.message ?? '', /interrupted: the kernel stopped/);
};

/** Injects the fault with the snapshot taken just before, then (after `afterFault`, the row's own first step) runs the
 * common checks. */
async function faultAndCheck(bed: FaultBed, fault: Fault, tasks: string[], o: { trees?: string[]; afterFault?: () => Promise<void> } = {}) {
  const before = await snapshot(bed.client, bed.workspace);
  bed.client = await fault(bed.sup, bed.client);
  await o.afterFault?.();
  return checkAfterKill(bed.sup, bed.client, bed.workspace, before, { tasks, trees: o.trees ?? [bed.pristine] });
}

const STEPS: Record<StepName, (bed: FaultBed, fault: Fault) => Promise<void>> = {
  'queued and tool executing': async (bed, fault) => {
    const running: TaskRun[] = [];
    for (let i = 0; i < 4; i++)
      running.push(await runTask(bed.client, { prompt: `long ${i}`, replay: '.replays/long.jsonl', mode: 'explore' }));
    const queued = await runTask(bed.client, { prompt: 'queued', replay: '.replays/long.jsonl', mode: 'explore' });
    const d = bed.sup.engine.docker;
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
    const { tasks } = await bed.client.request('tasks/list', {});
    assert.equal(tasks.find((t) => t.id === queued.taskId)?.state, 'queued');
    await new Promise((r) => setTimeout(r, 1000)); // inside the command, not at its start
    const { sessions } = await faultAndCheck(bed, fault, [...running.map((r) => r.taskId), queued.taskId]);
    sessions.forEach(interrupted);
  },

  'sandbox creating': async (bed, fault) => {
    const run = await runTask(bed.client, { prompt: 'create', replay: '.replays/create.jsonl', mode: 'explore' });
    await run.waitFor((e) => e.type === 'tool-call');
    const { sessions } = await faultAndCheck(bed, fault, [run.taskId]);
    interrupted(sessions[0]);
  },

  'model streaming': async (bed, fault) => {
    const run = await runTask(bed.client, { prompt: 'stream', replay: '.replays/stream.jsonl', mode: 'explore' });
    await run.waitFor((e) => e.type === 'text-delta');
    const { sessions } = await faultAndCheck(bed, fault, [run.taskId], {
      afterFault: async () => assert.ok(!run.events.some((e) => e.type === 'finished'), 'the turn was still streaming at the fault'),
    });
    interrupted(sessions[0]);
  },

  'approval pending': async (bed, fault) => {
    const run = await runTask(bed.client, { prompt: 'ask', replay: '.replays/ask.jsonl', mode: 'strict' });
    const ask = await run.waitFor((e) => e.type === 'approval-request');
    assert.ok(ask.type === 'approval-request');
    const { sessions } = await faultAndCheck(bed, fault, [run.taskId]);
    interrupted(sessions[0]);
    const { events } = await bed.client.request('sessions/show', { taskId: run.taskId });
    assert.ok(
      events.some((e) => e.event.type === 'approval-request'),
      'the transcript keeps the question that was asked',
    );
    assert.equal(events.at(-1)?.event.type, 'finished', 'and ends with why it stopped');
    const answer = await bed.client.request('task/approve', { taskId: run.taskId, requestId: ask.requestId, decision: 'allow' }).then(
      (r) => r.accepted,
      () => false,
    );
    assert.equal(answer, false, 'an answer to the dead request is not taken');
  },

  'patch set generating': async (bed, fault) => {
    const run = await runTask(bed.client, { prompt: 'generate', replay: '.replays/generate.jsonl', mode: 'explore' });
    await run.waitFor((e) => e.type === 'turn-start' && e.turn === 2);
    const { sessions } = await faultAndCheck(bed, fault, [run.taskId]);
    assert.ok(
      sessions[0].status === 'completed' || /interrupted: the kernel stopped/.test(sessions[0].message ?? ''),
      sessions[0].message ?? '',
    );
    const { sets } = await bed.client.request('review/list', {});
    for (const s of sets.filter((x) => x.taskId === run.taskId)) {
      assert.equal((await bed.client.request('review/show', { id: s.id })).set.files.length, 40, 'a stored set has every file');
    }
  },

  'review decided': async (bed, fault) => {
    const { workspace, journalDir } = bed;
    const run = await runTask(bed.client, { prompt: 'three', replay: '.replays/three.jsonl', mode: 'explore' });
    assert.equal((await run.finished).status, 'completed');
    const setId = run.ready[0].setId;
    await bed.client.request('review/decide', {
      setId,
      items: [
        { path: 'docs/a.md', decision: 'accept' },
        { path: 'docs/b.md', decision: 'reject' },
        { path: 'docs/c.md', decision: 'reject' },
      ],
    });
    const decided = (await bed.client.request('review/show', { id: setId })).review;
    const { sessions } = await faultAndCheck(bed, fault, [run.taskId]);
    assert.equal(sessions[0].status, 'completed', 'a finished task stays as it finished');
    assert.deepEqual((await bed.client.request('review/show', { id: setId })).review, decided, 'a decided review stays decided');
    const out: string[] = [];
    assert.equal(await merge({ client: bed.client, workspace, io: io(out), journalDir }, setId), 0, out.join('\n'));
    assert.equal(fs.readFileSync(path.join(workspace, 'docs/a.md'), 'utf8'), '# a\n');
    assert.ok(!fs.existsSync(path.join(workspace, 'docs/b.md')) && !fs.existsSync(path.join(workspace, 'docs/c.md')));
    fs.rmSync(path.join(workspace, 'docs/a.md'));
    fs.rmdirSync(path.join(workspace, 'docs'));
    assert.equal(treeHash(workspace), bed.pristine);
  },

  'merge half-written': async (bed, fault) => {
    const { workspace, journalDir } = bed;
    const run = await runTask(bed.client, { prompt: 'three again', replay: '.replays/three.jsonl', mode: 'explore' });
    assert.equal((await run.finished).status, 'completed');
    const setId = run.ready[0].setId;
    await bed.client.request('review/decide', {
      setId,
      items: ['a', 'b', 'c'].map((n) => ({ path: `docs/${n}.md`, decision: 'accept' as const })),
    });
    const plan = await bed.client.request('review/plan', { id: setId });
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
    assert.ok(half !== bed.pristine && half !== full, 'the fault left the workspace half-merged');
    // The person carries on: `airlock review merge` again finishes the interrupted merge and records it.
    const out: string[] = [];
    const { sessions } = await faultAndCheck(bed, fault, [run.taskId], {
      trees: [full],
      afterFault: async () =>
        assert.equal(await merge({ client: bed.client, workspace, io: io(out), journalDir }, setId), 0, out.join('\n')),
    });
    assert.equal(sessions[0].status, 'completed');
    const { sets } = await bed.client.request('review/list', {});
    assert.equal(sets.find((s) => s.id === setId)?.status, 'merged', out.join('\n'));
    const merged = await bed.client.request('audit/query', { action: 'review.merged', order: 'desc', limit: 5, payloads: true });
    assert.ok(
      merged.entries.some((e) => e.resource.includes(setId) || JSON.stringify(e.payload).includes(setId)),
      'the merge is audited',
    );
    // Back to the untouched tree, so rows after this one start from it.
    fs.rmSync(path.join(workspace, 'docs'), { recursive: true });
    assert.equal(treeHash(workspace), bed.pristine);
  },
};

export const STEP_NAMES = Object.keys(STEPS) as StepName[];

/** One row: from a ready kernel (a row that failed half-way leaves the next one a kernel to start from), the fault at
 * `step` and the checks after it. */
export async function runStep(bed: FaultBed, step: StepName, fault: Fault): Promise<void> {
  bed.client = await until('a ready kernel', async () => (bed.sup.state.type === 'ready' ? bed.sup.client : undefined), 180_000, 250);
  await STEPS[step](bed, fault);
}

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
