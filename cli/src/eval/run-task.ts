// One eval task run: a fresh workspace copy, the normal kernel run path, every hunk accepted and merged on the host, then
// the hidden check in a code-executor sandbox on the merged tree. Returns the run's measurements.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { containerName, KernelSupervisor } from '../../../bootstrap';
import type { TaskEvent } from '../../../protocol/src/agent';
import type { EvalCheck, EvalRun } from '../../../protocol/src/eval';
import { AirlockError } from '../../../protocol/src/errors';
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import type { CliIO } from '../command';
import * as review from '../review/actions';
import { describeCall, describeResult } from '../run/format';
import { kernelReplayPath, type RunOptions } from '../run/options';
import { runTaskInTerminal, type SessionIO } from '../run/session';
import type { LoadedTask } from './suite';

/** Where a replay outside Airlock's examples/ is put in the run's workspace (the kernel reads only those two places). */
export const WORKSPACE_REPLAY = '.airlock-eval/replay.jsonl';
const CHECK_TEMPLATE = 'code-executor';
const OUTPUT_TAIL = 4096;

export interface RunTaskOptions {
  /** Provider, model, mode and budgets from the command line and configuration; workspace and replay are set per run. */
  base: RunOptions;
  attempt: number;
  /** A file to copy the run's model session to (--record). */
  recordTo?: string;
  /** `--mode`: wins over the task's own mode, which wins over the configured one (in `base`). */
  modeOverride?: RunOptions['mode'];
  /** Progress lines (the kernel's start, the run's events), shown with --verbose. */
  log: (line: string) => void;
}

/**
 * Counts what the report measures from the task's event stream. Denials: tool calls refused (a policy deny and a declined
 * approval both come back to the model as POLICY_DENIED), plus asks that are no tool call (a sandbox's connection through
 * the egress proxy) when eval declines them, since no tool result ever reports those.
 */
export class RunCounter {
  tokensIn = 0;
  tokensOut = 0;
  costUsd = 0;
  toolCalls = 0;
  denials = 0;
  approvalsAsked = 0;
  private readonly calls = new Set<string>();
  constructor(private readonly approvalsDeclined = true) {}
  add(e: TaskEvent): void {
    switch (e.type) {
      case 'usage':
        this.tokensIn += e.usage.inputTokens;
        this.tokensOut += e.usage.outputTokens;
        this.costUsd = e.costUsd;
        break;
      case 'tool-call':
        this.toolCalls++;
        this.calls.add(e.call.id);
        break;
      case 'tool-result':
        if (e.result.error?.code === 'POLICY_DENIED') this.denials++;
        break;
      case 'approval-request':
        this.approvalsAsked++;
        if (this.approvalsDeclined && !this.calls.has(e.call.id)) this.denials++;
        break;
      default:
        break;
    }
  }
}

/** The run's progress for --verbose: tool calls, approvals asked (and why), denials, the end. */
function logEvent(id: string, e: TaskEvent, log: (line: string) => void): void {
  if (e.type === 'tool-call') log(`${id}: → ${describeCall(e.call)}`);
  else if (e.type === 'approval-request') log(`${id}: ? ${describeCall(e.call)} ${e.call.arguments.slice(0, 200)} — ${e.reason}`);
  else if (e.type === 'tool-result' && !e.result.ok) log(`${id}:   ${describeResult(e.result.content, false)}`);
  else if (e.type === 'finished') log(`${id}: ${e.status}`);
}

function git(cwd: string, args: string[]): void {
  const id = ['-c', 'user.name=airlock-eval', '-c', 'user.email=eval@airlock.invalid', '-c', 'commit.gpgsign=false'];
  const r = spawnSync('git', [...id, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) {
    throw new AirlockError(
      'EVAL_WORKSPACE',
      `git ${args[0]} failed in ${cwd}: ${(r.stderr || r.error?.message || '').trim()}`,
      'is git installed on this machine?',
    );
  }
}

/** A fresh copy of the task's repo/ in the eval's workspace folder (emptied first, the folder itself kept: the kernel
 * serves that folder), committed, so the patch set is the run's only change. */
export function resetWorkspace(t: LoadedTask, ws: string): void {
  for (const e of fs.readdirSync(ws)) fs.rmSync(path.join(ws, e), { recursive: true, force: true });
  fs.cpSync(t.repo, ws, { recursive: true });
  git(ws, ['init', '-q', '-b', 'main']);
  git(ws, ['add', '-A']);
  git(ws, ['commit', '-q', '--allow-empty', '-m', `eval task ${t.task.id}: starting files`]);
}

/** The replay path the kernel reads: in place under examples/, else copied into the workspace (git ignores it). */
export function replayFor(t: LoadedTask, ws: string): string {
  if (!t.replay) {
    throw new AirlockError(
      'EVAL_NO_REPLAY',
      `task ${t.task.id} has no replay.jsonl`,
      'record one with `airlock eval SUITE --record DIR` and copy it into the task folder',
    );
  }
  try {
    return kernelReplayPath(t.replay, ws);
  } catch (err) {
    if (!(err instanceof AirlockError) || err.code !== 'CLI_REPLAY_OUTSIDE') throw err;
  }
  fs.mkdirSync(path.join(ws, path.dirname(WORKSPACE_REPLAY)), { recursive: true });
  fs.copyFileSync(t.replay, path.join(ws, WORKSPACE_REPLAY));
  fs.appendFileSync(path.join(ws, '.git', 'info', 'exclude'), `/${path.dirname(WORKSPACE_REPLAY)}/\n`);
  return WORKSPACE_REPLAY;
}

/** Runs the check as `sh -c` in a fresh code-executor sandbox over the (merged) workspace; never on the host. */
export async function runCheck(client: IKernelClient, command: string, timeoutSeconds: number): Promise<EvalCheck> {
  // A warm one when there is one (the kernel replaces a warm sandbox whose hidden-file masks are stale).
  const sb = await client.request('sandbox/create', { template: CHECK_TEMPLATE });
  try {
    const r = await client.request('sandbox/exec', {
      id: sb.id,
      argv: ['sh', '-ec', command],
      cwd: '/workspace',
      timeoutMs: timeoutSeconds * 1000,
    });
    const output = `${r.stdout}${r.stderr}${r.error ? `\n${r.error}` : ''}`;
    return { exitCode: r.exitCode, timedOut: r.timedOut, output: output.length > OUTPUT_TAIL ? output.slice(-OUTPUT_TAIL) : output };
  } finally {
    await client.request('sandbox/destroy', { id: sb.id }).catch(() => undefined);
  }
}

/** Whether a run succeeded, from the task's expectation (protocol/src/eval.ts says what each means). */
export function judge(expect: LoadedTask['task']['expect'], status: EvalRun['status'], check: EvalCheck | null): boolean {
  const passed = !!check && check.exitCode === 0 && !check.timedOut;
  switch (expect) {
    case 'pass':
      return passed;
    case 'stop':
      return passed && status !== 'error' && status !== 'cancelled';
    case 'fail':
      return passed && (status === 'failed' || status === 'budget-exceeded');
    default: {
      const never: never = expect;
      return never;
    }
  }
}

/**
 * The eval's workspace folder and the one kernel that serves it for the whole suite: starting a kernel per run would
 * cost more than most runs. Each run empties the folder and copies its task in; to the kernel that is the person
 * editing files between tasks (new hidden files get fresh sandbox masks, docs/sandboxes.md).
 */
export class EvalKernel {
  private constructor(
    readonly base: string,
    readonly workspace: string,
    private readonly sup: KernelSupervisor,
    readonly client: IKernelClient,
  ) {}

  static async start(log: (line: string) => void): Promise<EvalKernel> {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-eval-'));
    const ws = path.join(base, 'ws');
    fs.mkdirSync(ws, { mode: 0o755 });
    let sup: KernelSupervisor | undefined;
    try {
      // Its state (audit log, patch sets) stays beside the workspace, outside it, and goes when the eval ends.
      sup = await KernelSupervisor.start({ workspace: ws, stateRoot: path.join(base, 'state') }, { progress: log });
      return new EvalKernel(base, ws, sup, await sup.ready());
    } catch (err) {
      if (sup) await EvalKernel.remove(sup);
      fs.rmSync(base, { recursive: true, force: true });
      throw err;
    }
  }

  /** Removes the kernel container, its outputs volume and the temporary folder (workspace, state, merge journal). */
  async dispose(keep = false): Promise<void> {
    await EvalKernel.remove(this.sup);
    if (!keep) fs.rmSync(this.base, { recursive: true, force: true });
  }

  private static async remove(sup: KernelSupervisor): Promise<void> {
    await sup.stop();
    sup.dispose();
    await sup.engine.docker
      .getContainer(containerName(sup.paths))
      .remove({ force: true })
      .catch(() => undefined);
    await sup.engine.docker
      .getVolume(`airlock-outputs-${sup.paths.id}`)
      .remove()
      .catch(() => undefined);
  }
}

export async function runEvalTask(t: LoadedTask, k: EvalKernel, io: CliIO, o: RunTaskOptions): Promise<EvalRun> {
  const started = Date.now();
  const counter = new RunCounter(t.task.approvals === 'deny');
  const { client, workspace: ws } = k;
  const run = (status: EvalRun['status'], message: string, check: EvalCheck | null, filesChanged: number): EvalRun => ({
    task: t.task.id,
    attempt: o.attempt,
    success: judge(t.task.expect, status, check),
    status,
    message: message.slice(0, 4096),
    check,
    tokensIn: counter.tokensIn,
    tokensOut: counter.tokensOut,
    // The kernel counts $0 for a model it has no price for: that is "unknown", not free.
    costUsd: counter.costUsd > 0 ? counter.costUsd : counter.tokensIn + counter.tokensOut > 0 ? null : 0,
    wallMs: Date.now() - started,
    toolCalls: counter.toolCalls,
    denials: counter.denials,
    approvalsAsked: counter.approvalsAsked,
    filesChanged,
    ...(o.recordTo && fs.existsSync(o.recordTo) ? { recorded: o.recordTo } : {}),
  });
  try {
    resetWorkspace(t, ws);
    const replay = o.base.provider === 'replay' ? replayFor(t, ws) : undefined;
    const l = t.task.limits;
    const opts: RunOptions = {
      ...o.base,
      workspace: ws,
      workspaceArg: ws,
      provider: replay ? undefined : o.base.provider,
      replay,
      record: o.recordTo,
      mode: o.modeOverride ?? t.task.mode ?? o.base.mode,
      yes: t.task.approvals === 'allow',
      positionals: [],
      warnings: [],
      budgets: {
        ...o.base.budgets,
        maxWallMs: l.timeoutSeconds * 1000,
        ...(l.maxTokens ? { maxTokens: l.maxTokens } : {}),
        ...(l.maxCostUsd ? { maxCostUsd: l.maxCostUsd } : {}),
        ...(l.maxTurns ? { maxTurns: l.maxTurns } : {}),
      },
    };
    let taskId = '';
    // The kernel enforces the wall budget; this cancels a run that outlives it anyway (a stuck provider stream).
    const cancel = () => {
      if (taskId) void client.request('task/cancel', { taskId }).catch(() => undefined);
    };
    const guard = setTimeout(cancel, l.timeoutSeconds * 1000 + 30_000);
    const quiet: SessionIO = {
      ...io,
      out: o.log,
      err: o.log,
      write: () => undefined,
      started: (id) => {
        taskId = id;
      },
      event: (e) => {
        counter.add(e);
        logEvent(t.task.id, e, o.log);
      },
    };
    let outcome;
    try {
      outcome = await runTaskInTerminal(client, opts, t.prompt, quiet);
    } finally {
      clearTimeout(guard);
    }
    let filesChanged = 0;
    if (outcome.setId) {
      // As `airlock review accept SET` then `airlock review merge SET`: every hunk, through the host applier.
      const c: review.ReviewCtx = {
        client,
        workspace: ws,
        io: { ...io, out: o.log, err: o.log },
        journalDir: path.join(k.base, 'journal'),
      };
      filesChanged = (await client.request('review/show', { id: outcome.setId })).set.stats.files;
      await review.decide(c, outcome.setId, 'accept', [], []);
      const merged = await review.merge(c, outcome.setId);
      if (merged !== 0) return run('error', `the merge of ${outcome.setId} left conflicts`, null, filesChanged);
    }
    const check = await runCheck(client, t.task.check, t.task.checkTimeoutSeconds);
    return run(outcome.status, outcome.message, check, filesChanged);
  } catch (err) {
    const e = err as Error & { code?: string };
    return run('error', `${e.code ? `${e.code}: ` : ''}${e.message}`, null, 0);
  }
}
