// The soak's task mix: replayed tasks that approve, deny, merge (and undo), cancel and conflict, each checked for the
// outcome it must reach; returns how long the kernel took beyond the time spent waiting on the person.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TaskEvent } from '../../protocol/src/agent';
import type { RpcClient } from '../../protocol/src/rpc-client';
import { merge, undo } from '../../cli/src/review/actions';
import { call, fin, runTask, text, writeReplay } from '../../test/integration/agent/helpers';

export const KINDS = ['approve', 'deny', 'merge', 'cancel', 'conflict'] as const;
export type Kind = (typeof KINDS)[number];

/** Writes the replays and the base files of worker slot `k` into the workspace (before the kernel starts). */
export function prepareSlot(workspace: string, k: number): void {
  fs.mkdirSync(path.join(workspace, 'soak'), { recursive: true });
  fs.writeFileSync(path.join(workspace, `soak/conflict-${k}.txt`), 'base\n');
  writeReplay(workspace, `approve-${k}`, [
    [...call(0, 'a', 'fs.write', { path: `notes/approved-${k}.md`, content: `approved ${k}\n` }), fin('tool-calls')],
    [text('Wrote it.'), fin('stop')],
  ]);
  writeReplay(workspace, `deny-${k}`, [
    [...call(0, 'd', 'exec', { argv: ['curl', 'https://example.com'] }), fin('tool-calls')],
    [text('Offline, then.'), fin('stop')],
  ]);
  writeReplay(workspace, `merge-${k}`, [
    [...call(0, 'm', 'fs.write', { path: `soak/merge-${k}.txt`, content: `merged ${k}\n` }), fin('tool-calls')],
    [...call(0, 't', 'exec', { argv: ['cat', `soak/merge-${k}.txt`] }), fin('tool-calls')],
    [text('Done.'), fin('stop')],
  ]);
  writeReplay(workspace, `cancel-${k}`, [
    [...call(0, 'c', 'exec', { argv: ['node', '-e', 'setTimeout(() => {}, 120000)'] }), fin('tool-calls')],
    [text('never'), fin('stop')],
  ]);
  writeReplay(workspace, `conflict-${k}`, [
    [...call(0, 'x', 'fs.write', { path: `soak/conflict-${k}.txt`, content: 'task\n' }), fin('tool-calls')],
    [text('Changed it.'), fin('stop')],
  ]);
}

export interface TaskCtx {
  client: RpcClient;
  workspace: string;
  journalDir: string;
  /** Merges and undos of the host's journal run one at a time (as one person's CLI would). */
  serial: <T>(f: () => Promise<T>) => Promise<T>;
  timeoutMs: number;
}

export interface TaskOutcome {
  taskId: string;
  kind: Kind;
  overheadMs?: number;
  problem?: string;
}

const quiet = { out: () => undefined, err: () => undefined, env: process.env } as never;

/** Runs one task of `kind` in slot `k`; a problem is any outcome other than the one this kind must reach. */
export async function runOne(c: TaskCtx, kind: Kind, k: number): Promise<TaskOutcome> {
  const t0 = Date.now();
  let waited = 0;
  const run = await runTask(c.client, {
    prompt: `soak ${kind} ${k}`,
    replay: `.replays/${kind}-${k}.jsonl`,
    mode: kind === 'approve' ? 'strict' : 'explore',
  });
  const out: TaskOutcome = { taskId: run.taskId, kind };
  const stop = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), c.timeoutMs).unref());
  const within = async <T>(p: Promise<T>): Promise<T> => {
    const v = await Promise.race([p, stop]);
    if (v === 'timeout')
      throw new Error(`did not finish within ${c.timeoutMs / 1000} s (last event: ${run.events.at(-1)?.type ?? 'none'})`);
    return v as T;
  };
  try {
    if (kind === 'approve') {
      const ask = await within(run.waitFor((e) => e.type === 'approval-request'));
      if (ask.type !== 'approval-request') throw new Error('no approval request');
      const tAsk = Date.now();
      await new Promise((r) => setTimeout(r, 50)); // a person's answer takes time: not the kernel's
      await c.client.request('task/approve', { taskId: run.taskId, requestId: ask.requestId, decision: 'allow' });
      waited = Date.now() - tAsk;
    }
    if (kind === 'cancel') {
      await within(run.waitFor((e) => e.type === 'tool-call'));
      await c.client.request('task/cancel', { taskId: run.taskId });
    }
    const done = await within(run.finished);
    const want: Record<Kind, string> = {
      approve: 'completed',
      deny: 'completed',
      merge: 'completed',
      cancel: 'cancelled',
      conflict: 'completed',
    };
    if (done.status !== want[kind]) throw new Error(`finished ${done.status}, expected ${want[kind]}: ${done.message}`);
    if (kind !== 'cancel') out.overheadMs = Date.now() - t0 - waited;
    await afterFinish(c, kind, k, run.ready[0]?.setId, run.events);
  } catch (e) {
    out.problem = `${kind} ${run.taskId}: ${(e as Error).message}${refusals(run.events)}`;
  }
  return out;
}

/** The workflow's refusals of a task, for a problem's post-mortem (a refused step sends the model another turn). */
function refusals(events: TaskEvent[]): string {
  const r = events.flatMap((e) =>
    e.type === 'workflow' && (e.change === 'refused' || e.change === 'blocked')
      ? [`${e.change} ${e.from ?? e.state} -> ${e.to ?? '?'}${e.guard ? ` (${e.guard})` : ''}: ${e.reason ?? ''}`]
      : [],
  );
  return r.length ? ` [workflow: ${r.join('; ')}]` : '';
}

async function afterFinish(c: TaskCtx, kind: Kind, k: number, setId: string | undefined, events: TaskEvent[]): Promise<void> {
  const ctx = { client: c.client, workspace: c.workspace, io: quiet, journalDir: c.journalDir };
  if (kind === 'deny') {
    const denied = events.some((e) => e.type === 'tool-result' && !e.result.ok && /POLICY_DENIED/.test(e.result.content));
    if (!denied) throw new Error('the network command was not denied');
    return;
  }
  if (kind === 'cancel') return;
  if (!setId) throw new Error('no patch set');
  const decide = (decision: 'accept' | 'reject', p: string) => c.client.request('review/decide', { setId, items: [{ path: p, decision }] });
  if (kind === 'approve') {
    await decide('reject', `notes/approved-${k}.md`);
    return;
  }
  if (kind === 'merge') {
    const file = path.join(c.workspace, `soak/merge-${k}.txt`);
    await decide('accept', `soak/merge-${k}.txt`);
    await c.serial(async () => {
      if ((await merge(ctx, setId)) !== 0) throw new Error('merge failed');
      if (fs.readFileSync(file, 'utf8') !== `merged ${k}\n`) throw new Error('merged content differs');
      if ((await undo(ctx)) !== 0) throw new Error('undo failed');
    });
    if (fs.existsSync(file)) throw new Error('undo left the merged file');
    return;
  }
  // conflict: the person edits the same line before merging; the merge leaves their edit alone and says so.
  const file = path.join(c.workspace, `soak/conflict-${k}.txt`);
  await decide('accept', `soak/conflict-${k}.txt`);
  await c.serial(async () => {
    fs.writeFileSync(file, 'host edit\n');
    try {
      if ((await merge(ctx, setId)) !== 1) throw new Error('a conflicting merge did not report the conflict');
      if (fs.readFileSync(file, 'utf8') !== 'host edit\n') throw new Error("the conflicting merge overwrote the person's edit");
    } finally {
      fs.writeFileSync(file, 'base\n');
    }
  });
}
