// Runs one agent task from the terminal: streams its events, answers approvals, cancels on Ctrl-C, prints the patch set.
import * as fs from 'node:fs';
import type { Interface as ReadLine } from 'node:readline';
import type { TaskEvent, TaskStatus } from '../../../protocol/src/agent';
import type { EventData } from '../../../protocol/src/events';
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import type { CliIO } from '../command';
import { merge } from '../review/actions';
import { type ApprovalAnswer, formatEvent, formatPatchSummary, formatUsage, parseApproval } from './format';
import { providerConfig, type RunOptions, startParams } from './options';

export interface TaskOutcome {
  status: TaskStatus;
  message: string;
  setId?: string;
  /** Exit status of the host merge of an auto-merged set. */ merged?: number;
  taskId: string;
  /** The workflow session the task opened or continued: a chat's next turn continues it (`RunOptions.sessionId`). */
  sessionId?: string;
  usage: { totalTokens: number; costUsd: number };
}

export interface SessionIO extends CliIO {
  /** Raw stdout write (streamed text without newlines). */
  write(text: string): void;
  /** Asks a question on the terminal; undefined when there is no TTY to ask on. */
  ask?: (question: string) => Promise<string>;
  /** Answers approvals inline (chat), a deny with the person's reason; undefined leaves it unanswered (the task ends). */
  approve?: (e: Extract<TaskEvent, { type: 'approval-request' }>) => Promise<ApprovalAnswer | undefined>;
  /** Told the task id once the kernel has started it (chat's /stop and Ctrl-C cancel through it). */
  started?: (taskId: string) => void;
  /** Replaces the terminal formatting of each event (`run --json` prints them as JSON lines). */
  event?: (e: TaskEvent, taskId: string) => void;
}

export function exitCodeOf(status: TaskStatus): number {
  return status === 'completed' ? 0 : status === 'cancelled' ? 130 : 1;
}

/** Sends the provider key (environment, else keychain) once per connection (kept in kernel memory only). */
export async function configureProvider(
  client: IKernelClient,
  o: RunOptions,
  env: NodeJS.ProcessEnv,
  warn?: (line: string) => void,
): Promise<void> {
  const cfg = await providerConfig(o, env, undefined, warn);
  if (cfg) await client.request('provider/configure', cfg);
}

export async function runTaskInTerminal(client: IKernelClient, o: RunOptions, prompt: string, io: SessionIO): Promise<TaskOutcome> {
  const state = { midText: false };
  let taskId = '';
  let setId: string | undefined;
  let autoMerged = false;
  let usage = { totalTokens: 0, costUsd: 0 };
  const early: Array<EventData<'task/event'>> = [];
  let resolveDone!: (e: Extract<TaskEvent, { type: 'finished' }>) => void;
  const done = new Promise<Extract<TaskEvent, { type: 'finished' }>>((r) => {
    resolveDone = r;
  });

  const print = (e: TaskEvent) => {
    for (const out of formatEvent(e, state)) {
      if (out.type === 'text') io.write(out.text);
      else if (out.type === 'line') io.out(out.text);
    }
  };
  const answer = async (e: Extract<TaskEvent, { type: 'approval-request' }>) => {
    if (io.approve && !o.yes) {
      const a = await io.approve(e);
      if (!a) return;
      await client
        .request('task/approve', { taskId, requestId: e.requestId, decision: a.decision, ...(a.note ? { note: a.note } : {}) })
        .catch((err) => io.err(`airlock: could not answer the approval: ${(err as Error).message}`));
      return;
    }
    let decision: 'allow' | 'allow-session' | 'deny';
    if (o.yes) decision = 'allow';
    else if (io.ask) decision = parseApproval(await io.ask('  allow? [y]es once / [a]lways for this task / [N]o: '));
    else decision = 'deny';
    if (!io.ask || o.yes) io.out(`  ${decision === 'allow' ? 'allowed (--yes)' : 'denied (no terminal to ask on; pass --yes to allow)'}`);
    await client
      .request('task/approve', { taskId, requestId: e.requestId, decision })
      .catch((err) => io.err(`airlock: could not answer the approval: ${(err as Error).message}`));
  };
  const handle = (d: EventData<'task/event'>) => {
    const e = d.event;
    if (e.type === 'usage') usage = { totalTokens: e.totalTokens, costUsd: e.costUsd };
    if (io.event) io.event(e, taskId);
    else print(e);
    if (e.type === 'approval-request') void answer(e);
    if (e.type === 'finished') resolveDone(e);
  };
  const subs = [
    client.onEvent('task/event', (d) => {
      if (!taskId) early.push(d);
      else if (d.taskId === taskId) handle(d);
    }),
    client.onEvent('patches/ready', (d) => {
      if (d.taskId === taskId) {
        setId = d.setId;
        autoMerged ||= d.autoMerge;
      }
    }),
  ];
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    io.err('\nairlock: cancelling the task (Ctrl-C again to quit at once)…');
    if (taskId) void client.request('task/cancel', { taskId }).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  try {
    await configureProvider(client, o, io.env, (w) => io.err(`warning: ${w}`));
    const started = await startTask(client, o, prompt, io);
    taskId = started.taskId;
    const sessionId = started.sessionId;
    io.started?.(taskId);
    io.err(`airlock: task ${taskId} (${started.provider}, ${started.model}${o.mode ? `, ${o.mode} mode` : ''})`);
    if (interrupts) void client.request('task/cancel', { taskId }).catch(() => undefined);
    for (const d of early.splice(0)) if (d.taskId === taskId) handle(d);
    const fin = await done;
    if (usage.totalTokens) io.err(`airlock: ${formatUsage(usage.totalTokens, usage.costUsd)}`);
    if (o.record && started.recordFile) {
      try {
        fs.copyFileSync(started.recordFile, o.record);
        io.err(`airlock: recorded the model traffic to ${o.record}`);
      } catch (err) {
        io.err(`airlock: could not copy the recording: ${(err as Error).message}`);
      }
    }
    if (setId) {
      const { set } = await client.request('review/show', { id: setId });
      io.out('');
      for (const l of formatPatchSummary(set, o.workspaceArg)) io.out(l);
    } else if (fin.status === 'completed') io.out('No files were changed.');
    // The kernel never writes the workspace: a set the criteria allowed is applied here, with the same journal and undo.
    if (setId && autoMerged && o.autoMerge) {
      io.out(
        `Auto-merge: ${setId} met the criteria (paths ${o.autoMerge.paths.join(' ')}, at most ${o.autoMerge.maxChangedLines ?? '∞'} changed lines); applying it`,
      );
      const merged = await merge({ client, workspace: o.workspace, io }, setId);
      return { status: fin.status, message: fin.message, setId, merged, taskId, sessionId, usage };
    }
    if (setId && o.autoMerge)
      io.out(`Auto-merge: not applied — ${/Not auto-merged: (.*)$/m.exec(fin.message)?.[1] ?? 'the criteria were not met'}`);
    return { status: fin.status, message: fin.message, setId, taskId, sessionId, usage };
  } finally {
    process.off('SIGINT', onSigint);
    for (const s of subs) s.dispose();
  }
}

/** task/start; a chat turn whose workflow session the kernel no longer has (a fresh kernel) opens a new one instead. */
async function startTask(client: IKernelClient, o: RunOptions, prompt: string, io: SessionIO) {
  try {
    return await client.request('task/start', startParams(o, prompt));
  } catch (err) {
    if (!o.sessionId || (err as { code?: string }).code !== 'WORKFLOW_NO_SESSION') throw err;
    io.err(`airlock: workflow session ${o.sessionId} is gone (${(err as Error).message}); this turn starts a new one`);
    return client.request('task/start', startParams({ ...o, sessionId: undefined }, prompt));
  }
}

/** A terminal question function over a readline interface (TTY only). */
export function askOn(rl: ReadLine): (q: string) => Promise<string> {
  return (q) => new Promise((resolve) => rl.question(q, resolve));
}
