// Shared setup for agent task tests: a copy of the sample project, the real kernel container, task event collection.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { StreamEvent, TaskEvent } from '../../../protocol/src/agent';
import type { EventData } from '../../../protocol/src/events';
import type { ParamsOf } from '../../../protocol/src/methods';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import { KernelSupervisor } from '../../../bootstrap';

export const ROOT = path.resolve(__dirname, '../../..');
export const SAMPLE = path.join(ROOT, 'examples/sample-project');
/** The sample replay as the kernel sees it (examples/ ships in the kernel image). */
export const SAMPLE_REPLAY = '/opt/airlock/examples/sample-project.replay.jsonl';

/** A temp copy of the sample project readable by the sandbox user (uid 1000), plus a state root. */
export function sampleWorkspace(): { base: string; workspace: string; stateRoot: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-agent-'));
  const workspace = path.join(base, 'ws');
  fs.cpSync(SAMPLE, workspace, { recursive: true });
  fs.chmodSync(workspace, 0o755);
  return { base, workspace, stateRoot: path.join(base, 'state') };
}

export function readTree(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = path.posix.join(rel, e.name);
    if (e.isDirectory()) Object.assign(out, readTree(dir, r));
    else out[r] = fs.readFileSync(path.join(dir, r), 'utf8');
  }
  return out;
}

export async function startKernel(workspace: string, stateRoot: string): Promise<KernelSupervisor> {
  return KernelSupervisor.start({ workspace, stateRoot, runtime: 'docker', maxRestarts: 2 });
}

export async function removeKernel(sup: KernelSupervisor): Promise<void> {
  const name = `airlock-kernel-${sup.paths.id}`;
  sup.dispose();
  await sup.engine.docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);
  await sup.engine.docker
    .getVolume(`airlock-outputs-${sup.paths.id}`)
    .remove()
    .catch(() => undefined);
}

export interface TaskRun {
  taskId: string;
  /** The workflow session the task opened or continued (a chat follow-up passes it back as `sessionId`). */
  sessionId?: string;
  events: TaskEvent[];
  ready: Array<EventData<'patches/ready'>>;
  finished: Promise<Extract<TaskEvent, { type: 'finished' }>>;
  /** Resolves at the first event matching the predicate. */
  waitFor(pred: (e: TaskEvent) => boolean): Promise<TaskEvent>;
}

/** Starts a task and records its events (subscribed before the start so nothing is missed). */
export async function runTask(client: RpcClient, params: ParamsOf<'task/start'>): Promise<TaskRun> {
  const buffered: Array<EventData<'task/event'>> = [];
  const ready: Array<EventData<'patches/ready'>> = [];
  const waiters: Array<{ pred: (e: TaskEvent) => boolean; resolve: (e: TaskEvent) => void }> = [];
  let taskId = '';
  const events: TaskEvent[] = [];
  let onFinish!: (e: Extract<TaskEvent, { type: 'finished' }>) => void;
  const finished = new Promise<Extract<TaskEvent, { type: 'finished' }>>((r) => {
    onFinish = r;
  });
  const deliver = (d: EventData<'task/event'>) => {
    events.push(d.event);
    for (const w of [...waiters])
      if (w.pred(d.event)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(d.event);
      }
    if (d.event.type === 'finished') {
      sub.dispose();
      subReady.dispose();
      onFinish(d.event);
    }
  };
  const sub = client.onEvent('task/event', (d) => {
    if (!taskId) buffered.push(d);
    else if (d.taskId === taskId) deliver(d);
  });
  const subReady = client.onEvent('patches/ready', (d) => {
    if (d.taskId === taskId) ready.push(d);
  });
  const started = await client.request('task/start', params);
  taskId = started.taskId;
  for (const d of buffered.splice(0)) if (d.taskId === taskId) deliver(d);
  const waitFor = (pred: (e: TaskEvent) => boolean) => {
    const hit = events.find(pred);
    return hit ? Promise.resolve(hit) : new Promise<TaskEvent>((resolve) => waiters.push({ pred, resolve }));
  };
  return { taskId, sessionId: started.sessionId, events, ready, finished, waitFor };
}

/** Writes a replay file (one JSON line per model turn) into the workspace and returns its relative path. */
export function writeReplay(workspace: string, name: string, turns: StreamEvent[][]): string {
  const rel = `.replays/${name}.jsonl`;
  fs.mkdirSync(path.join(workspace, '.replays'), { recursive: true });
  fs.writeFileSync(path.join(workspace, rel), turns.map((events, i) => JSON.stringify({ turn: i + 1, events })).join('\n') + '\n');
  return rel;
}

export const call = (index: number, id: string, name: string, args: object): StreamEvent[] => [
  { type: 'tool-call-start', index, id, name },
  { type: 'tool-call-end', index, id, name, arguments: JSON.stringify(args) },
];
export const text = (t: string): StreamEvent => ({ type: 'text-delta', text: t });
export const fin = (reason: 'stop' | 'tool-calls'): StreamEvent => ({ type: 'finish', reason });
export const usage = (i: number, o: number): StreamEvent => ({ type: 'usage', usage: { inputTokens: i, outputTokens: o } });
