// One task from sandbox to patch set: output volume + code-executor sandbox, the agent loop, patch generation, cleanup.
import * as fs from 'node:fs';
import type { Budgets, ImageInput, TaskEvent } from '../../../protocol/src/agent';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import type { HistoryTurn } from '../../../protocol/src/methods/agent';
import type { IAuditLog } from '../../../core/src/audit/types';
import type { AutoMergeVerdict } from '../patches/automerge';
import type { PatchService } from '../patches/service';
import type { PatchSet } from '../../../protocol/src/patches';
import { createOutputVolume, type OutputVolume, patchSource, removeOutputVolume, type VolumeEngine, watchQuota } from '../patches/volumes';
import type { SandboxManager } from '../runtime/sandbox-manager';
import { toolAudit } from './adapters';
import type { ApprovalCallback } from './interfaces';
import { runAgentTask } from './loop';
import { hiddenValues, workspaceMasks } from './masks';
import { modelInfo } from './models';
import type { IProvider } from './providers/types';
import { type RouteContext, ToolRouter } from './router';
import type { Sanitiser } from './sanitise';
import { TaskSandbox } from './task-sandbox';
import type { TaskPolicy } from './task-policy';
import type { TaskWorkflow } from './task-workflow';
import { applySeed, proposalSeed, type SeedChoice, seedOverlay, volumeDigest } from './task-seed';
import { overlayAware, TaskVolume } from './task-volume';
import { counterFor, type ITokenCounter } from './tokens';
import { fsExists, fsRead, nativeTools } from './tools/native';
import { sandboxedTools } from './tools/sandboxed';
import type { ToolSpec } from './tools/types';

export const SYSTEM_PROMPT = `You are Airlock's coding agent. You work on the project in /workspace through tools.
Read with fs.read, fs.list, fs.exists, search.grep and search.glob. Change files only with fs.write and fs.edit: your
edits go to an output volume and become a patch set a person reviews; the workspace itself never changes. Run commands
(tests, builds) with exec in a sandbox without network that sees your edits. Every call is checked by a policy; a denied
call comes back as an error: choose another approach. Finish with a short summary of what you changed and why.`;

export interface TaskRunDeps {
  workspace: string;
  /** Kernel-side directory of the task's output dir: the outputs tmpfs (a filesystem caps what sandboxes write). */
  outputRoot: string;
  hostPath: (kernelPath: string) => string;
  volumeEngine: VolumeEngine;
  runtime: SandboxManager;
  patches: PatchService;
  audit: IAuditLog;
  sanitiser: Sanitiser;
  /** Tools from outside the kernel (MCP servers' tools, kernel/src/mcp/), through the same router and pipeline. */
  pluginTools?: () => ToolSpec[];
}

export interface TaskRunSpec {
  taskId: string;
  prompt: string;
  /** Images given with the prompt (task/start `images`, checked by task-images.ts). */
  images?: ImageInput[];
  /** Earlier turns of the conversation (task/start `history`). */
  history?: readonly HistoryTurn[];
  /** The conversation's patch sets so far (task/start `proposal`): the output volume starts from the open one. */
  proposal?: readonly string[];
  model: string;
  mode?: string;
  budgets?: Budgets;
  provider: IProvider;
  policy: TaskPolicy;
  approve: ApprovalCallback;
  emit: (e: TaskEvent) => void;
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  /** Aborted by task/cancel, the client going away, the scheduler, or a full output volume (reason: the error). */
  abort: AbortController;
  /** The scheduler's gate: waits while the task is paused (its model-request slot was given back). */
  whenRunning?: (signal: AbortSignal) => Promise<void>;
  /** The task's workflow session: gates edits, moves on test runs, must reach review before a patch set. */
  workflow?: TaskWorkflow;
  /** True when this run was stopped by preemption (destroy + requeue): it ends quietly and the task runs again. */
  requeued?: () => boolean;
  /** Given when the task has enabled auto-merge criteria: evaluates (and audits) auto-merge of its patch set. */
  autoMerge?: (set: PatchSet) => Promise<AutoMergeVerdict>;
}

/** The sandbox template of a task's commands (its preemption policy is the task's). */
export const TASK_TEMPLATE = 'code-executor';

export type Finished = Extract<TaskEvent, { type: 'finished' }>;
const NOT_STARTED: Finished = { type: 'finished', status: 'failed', message: 'Task failed before it started.' };
export type Recorder = (action: string, payload: Record<string, unknown>) => Promise<unknown>;
/** What the steps an external session shares with tasks (external-session.ts) use of a run's spec. */
export type SessionSpec = Pick<TaskRunSpec, 'taskId' | 'policy' | 'approve' | 'emit' | 'log' | 'workflow' | 'requeued'>;
/** One run: what it was given, and its audit recorder (synchronous: the trail has each step before the next). */
export interface SessionRun {
  d: TaskRunDeps;
  t: SessionSpec;
  signal: AbortSignal;
  record: Recorder;
}
interface Run extends SessionRun {
  t: TaskRunSpec;
}
/** What the agent works in: its sandbox for commands, its view (edits over the workspace), what the policy hides. */
export interface Workspace {
  sb: TaskSandbox;
  tv: TaskVolume;
  hidden: ReturnType<TaskPolicy['hidden']>;
}

/**
 * A task in named steps: output volume -> sandbox and view -> the agent loop -> sandbox closed -> workflow review
 * check -> patch set; whatever happens, teardown frees the volume, records how it ended and emits `finished`.
 */
export async function runTask(d: TaskRunDeps, t: TaskRunSpec, signal: AbortSignal): Promise<Finished> {
  const record: Recorder = (action, payload) =>
    d.audit.append(
      { session: t.taskId, subject: 'kernel', action, resource: t.taskId, payload: d.sanitiser.sanitiseValue(payload) },
      { sync: true },
    );
  const run: Run = { d, t, signal, record };
  const made: { vol?: OutputVolume; sandbox?: TaskSandbox } = {};
  let finished = NOT_STARTED;
  // Steps 1 and 2 run while the first model request is on its way: the model needs none of it and the tools wait for
  // it (the loop awaits the workspace before any tool call), so the engine and audit work is off the first token's path.
  const ready = prepare(run, made);
  try {
    finished = await converse(run, ready);
    const { w, vol, seeded } = await ready;
    // The sandbox goes first: the overlay is unmounted, so the upper dir is stable while the patch set is built.
    await w.sb.close(`task ${finished.status}`);
    // A follow-up whose volume is still its seed changed nothing: no workflow check, no new set.
    const changed = hasChanges(vol, w.tv.root) && (!seeded || (await volumeDigest(vol, signal)) !== seeded);
    finished = requireReview(run, finished, vol, w, changed);
    finished = await producePatches(run, finished, vol, w, changed);
  } catch (err) {
    finished = failed(err, signal);
  } finally {
    // Whatever the preparation made is freed, so it must have ended (it stops soon after an abort).
    await ready.catch(() => undefined);
    await teardown(run, finished, made.vol, made.sandbox);
  }
  return finished;
}

interface Prepared {
  w: Workspace;
  vol: OutputVolume;
  /** The digest of the tree a follow-up's volume was seeded with (undefined when nothing was seeded). */
  seeded?: string;
}

/** Steps 1 and 2: the output volume (seeded from the conversation's proposal), the sandbox and the view; `made` gets each as it exists. */
async function prepare(run: Run, made: { vol?: OutputVolume; sandbox?: TaskSandbox }): Promise<Prepared> {
  const { d, t, signal } = run;
  const chosen = t.proposal?.length ? await proposalSeed(d.patches, t.proposal, signal) : undefined;
  const vol = (made.vol = await openOutput(run, seedOverlay(chosen?.seed)));
  const seeded = chosen && (await seedOutput(run, vol, chosen));
  const w = await prepareWorkspace(run, vol);
  made.sandbox = w.sb;
  return { w, vol, seeded };
}

/** Step 1: the output volume the agent's edits go to (recorded before anything writes to it). */
export async function openOutput({ d, t, signal, record }: SessionRun, overlay?: 'off'): Promise<OutputVolume> {
  const where = { engine: d.volumeEngine, outputRoot: d.outputRoot, workspace: d.workspace, hostPath: d.hostPath, overlay };
  const vol = await createOutputVolume(t.taskId, where, signal);
  await record('task.volume', { volume: vol.volumeName, kind: vol.kind, reason: vol.reason });
  return vol;
}

/**
 * Step 1b, a follow-up: the volume starts as the conversation's open proposal (task-seed.ts), recorded first; returns
 * the seeded tree's digest (undefined when nothing was seeded). Conflicts (the workspace moved) are left out and said.
 */
async function seedOutput({ d, t, signal, record }: Run, vol: OutputVolume, chosen: SeedChoice): Promise<string | undefined> {
  const { seed, unknown } = chosen;
  const skipped = seed?.plan.conflicts.map((c) => `${c.path}: ${c.reason}`).slice(0, 50) ?? [];
  await record('task.seed', { setId: seed?.setId ?? null, files: seed?.plan.ops.map((o) => o.path).slice(0, 200) ?? [], skipped, unknown });
  if (unknown.length) t.log('warn', `patch sets not found, not seeded: ${unknown.join(', ')}`);
  if (!seed?.plan.ops.length) return undefined;
  return applySeed(d.patches, d.workspace, vol, seed, signal);
}

/** Step 2: the task's sandbox (made when first needed) and its view, both hiding what the policy hides. */
export async function prepareWorkspace({ d, t, signal, record }: SessionRun, vol: OutputVolume): Promise<Workspace> {
  const hidden = t.policy.hidden();
  // Found again for every sandbox (the person may add a `.env` while the task runs); the values in what is hidden
  // go to the sanitiser as well, a second line should any reach a tool result, the model or the audit log.
  const masks = async () => {
    const m = await workspaceMasks(d.workspace, t.policy.hidden());
    for (const v of hiddenValues(d.workspace, m)) d.sanitiser.addSecret(v);
    return m;
  };
  await masks().catch((err: Error) => t.log('warn', `hidden workspace paths not found at start: ${err.message}`));
  const sb = new TaskSandbox({
    runtime: d.runtime,
    volumeName: vol.volumeName,
    template: TASK_TEMPLATE,
    taskId: t.taskId,
    signal,
    workspace: d.workspace,
    masks,
    egress: () => t.policy.grantsHosts(),
    onCreated: (id) => void record('task.sandbox', { sandboxId: id }).catch(() => undefined),
  });
  const tv = new TaskVolume(vol, d.workspace, (_signal, why) => sb.release(why));
  t.policy.useView(tv);
  return { sb, tv, hidden };
}

/**
 * Step 3: the agent loop, with the workflow attached and the volume's quota watched once the workspace is ready (its
 * first model request does not wait for it); gives the final event.
 */
async function converse({ d, t, signal }: Run, ready: Promise<Prepared>): Promise<Finished> {
  let finished = NOT_STARTED;
  const wf = t.workflow;
  let attached: { dispose(): void } | undefined;
  let quota: { dispose(): void } | undefined;
  const routeContext = ready.then(({ w: { sb, tv, hidden } }): RouteContext => {
    attached = wf?.attach(tv);
    quota = watchQuota(tv.vol, (err) => t.abort.abort(err));
    return { workspace: d.workspace, taskId: t.taskId, sandbox: sb, output: tv, hidden };
  });
  const view = ready.then((p) => p.w.tv);
  // Their rejection is the loop's (it fails the task) and runTask's: handled there, not an unhandled rejection here.
  for (const p of [routeContext, view]) p.catch(() => undefined);
  try {
    const info = modelInfo(t.model);
    const counter = counterFor(info);
    const r = await runAgentTask({
      prompt: t.prompt,
      images: t.images,
      history: t.history,
      system: wf ? `${SYSTEM_PROMPT}\n\n${wf.instructions()}` : SYSTEM_PROMPT,
      model: t.model,
      modelInfo: info,
      provider: t.provider,
      beforeFinish: wf && ((sig) => wf.beforeFinish(sig)),
      beforeTurn: t.whenRunning,
      router: taskRouter(d, t, view, counter),
      counter,
      budgets: t.budgets,
      signal,
      log: t.log,
      routeContext,
      // The final event waits until the patch set exists, so `patches/ready` always comes before `finished`.
      onEvent: (e) => {
        if (e.type === 'finished') finished = e;
        else t.emit(e);
      },
    });
    const reason: unknown = t.abort.signal.reason;
    if (reason instanceof AirlockError && reason.code === 'PATCH_VOLUME_FULL') {
      return { type: 'finished', status: 'failed', message: `Task stopped: ${reason.message}`, error: reason.toPayload() };
    }
    if (r.status === 'cancelled' && reason instanceof AirlockError && reason.code !== ErrorCodes.Cancelled) {
      return { ...finished, message: `Task cancelled: ${reason.message}` };
    }
    return finished;
  } finally {
    await ready.catch(() => undefined);
    quota?.dispose();
    attached?.dispose();
  }
}

/**
 * The tools a task has (reads see its edits) behind its router: its policy, audit trail, approvals and workflow.
 * `subject`: who the audit log names as calling (an external session's `mcp:<client>`).
 */
export function taskRouter(
  d: TaskRunDeps,
  t: SessionSpec,
  tv: TaskVolume | Promise<TaskVolume>,
  counter: ITokenCounter,
  subject = 'agent',
): ToolRouter {
  const wf = t.workflow;
  const native = nativeTools.map((n) => (n === fsRead || n === fsExists ? overlayAware(n, tv) : n));
  return new ToolRouter([...native, ...sandboxedTools, ...(wf?.tools() ?? []), ...(d.pluginTools?.() ?? [])], {
    policy: t.policy,
    audit: toolAudit(d.audit, subject),
    approve: t.approve,
    sanitiser: d.sanitiser,
    counter,
    onEvent: t.emit,
    gate: wf,
  });
}

/**
 * Step 4: nothing leaves a task whose workflow session did not reach review (strict: green and tests pass; debug:
 * reproduction passes, instrumentation removed).
 */
export function requireReview(
  { t }: SessionRun,
  finished: Finished,
  vol: OutputVolume,
  { tv }: Workspace,
  changed = hasChanges(vol, tv.root),
): Finished {
  const wf = t.workflow;
  if (finished.status !== 'completed' || !changed || !wf || wf.readyForPatch) return finished;
  const message =
    `Task stopped without a patch set: the ${wf.mode} workflow session ${wf.sessionId} is in ${wf.state} and could not` +
    ` reach review (${wf.blocked ?? 'no reason recorded'}).`;
  const error = new AirlockError('WORKFLOW_NOT_IN_REVIEW', `workflow session ${wf.sessionId} is in ${wf.state}, not review`, wf.blocked);
  return { type: 'finished', status: 'failed', message, error: error.toPayload() };
}

/** Step 5: the patch set of a completed task's changes, auto-merge evaluated where asked; recorded. */
async function producePatches(
  { d, t, record }: Run,
  finished: Finished,
  vol: OutputVolume,
  { sb }: Workspace,
  changed: boolean,
): Promise<Finished> {
  if (finished.status !== 'completed' || !changed) return finished;
  const wf = t.workflow;
  const set = await d.patches.generate(patchSource(vol), { taskId: t.taskId, testsPassed: sb.testsPassed });
  // Before `finished`, so a client sees patches/ready with autoMerge first; a failure here leaves the set for review.
  const verdict =
    t.autoMerge &&
    (await t.autoMerge(set).catch((err) => {
      t.log('warn', `auto-merge of ${set.id} not evaluated: ${(err as Error).message}`);
      return undefined;
    }));
  const am = !verdict
    ? ''
    : verdict.allowed
      ? ' Auto-merged by the criteria (the host applies it).'
      : ` Not auto-merged: ${verdict.reasons.slice(0, 5).join('; ')}.`;
  const blocked = set.blocked.length ? `, ${set.blocked.length} blocked change(s)` : '';
  await record('task.patches', {
    setId: set.id,
    files: set.files.length,
    blocked: set.blocked.length,
    testsPassed: sb.testsPassed,
    ...(wf ? { workflow: { sessionId: wf.sessionId, mode: wf.mode, state: wf.state } } : {}),
  });
  return { ...finished, message: `${finished.message}\n\nPatch set ${set.id}: ${set.files.length} file(s)${blocked}.${am}` };
}

/** A step threw: cancelled when the task was aborted (a full volume is a failure, not a cancel), else failed. */
function failed(err: unknown, signal: AbortSignal): Finished {
  const e = AirlockError.from(err);
  return signal.aborted && !(signal.reason instanceof AirlockError && signal.reason.code === 'PATCH_VOLUME_FULL')
    ? { type: 'finished', status: 'cancelled', message: 'Task cancelled.' }
    : { type: 'finished', status: 'failed', message: `Task failed: ${e.message}`, error: e.toPayload() };
}

/** Last, always: sandbox and output volume freed, the end recorded, `finished` emitted (unless the task runs again). */
export async function teardown(
  { d, t, record }: SessionRun,
  finished: Finished,
  vol: OutputVolume | undefined,
  sandbox?: TaskSandbox,
): Promise<void> {
  await sandbox?.close('task ended').catch(() => undefined);
  if (vol) {
    // A patch set keeps what it reads later in the state volume (PatchService.generate): the output dir on the
    // outputs tmpfs (emptied by a kernel restart anyway) is freed for other tasks.
    const name = vol.volumeName;
    await removeOutputVolume(vol, d.volumeEngine).catch((err) =>
      t.log('warn', `could not remove output volume ${name}: ${(err as Error).message}`),
    );
  }
  const requeued = t.requeued?.() ?? false;
  const end = { status: finished.status, message: finished.message.slice(0, 2000) };
  await record(requeued ? 'task.requeued' : 'task.finish', end).catch(() => undefined);
  if (!requeued) t.emit(finished);
}

export function hasChanges(vol: OutputVolume, root: string): boolean {
  if (vol.kind !== 'overlay') return true; // snapshots are compared by the generator
  try {
    return fs.readdirSync(root).length > 0;
  } catch {
    return false;
  }
}
