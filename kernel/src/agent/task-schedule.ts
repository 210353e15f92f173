// Queuing a task with the scheduler: its needs, its template's preemption policy, and the run it starts when admitted.
import type { TaskEvent } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import type { TaskStartParams } from '../../../protocol/src/methods/agent';
import type { IPolicyEngine } from '../../../core/src/policy/engine';
import type { PatchService } from '../patches/service';
import { verifyAccepted } from '../patches/verify';
import type { SandboxManager } from '../runtime/sandbox-manager';
import type { Scheduler } from '../scheduler/scheduler';
import type { IProvider } from './providers/types';
import type { Sanitiser } from './sanitise';
import { autoMergeTaskSet } from './task-automerge';
import { runTask, TASK_TEMPLATE, type TaskRunDeps } from './task-run';
import { askApproval, type RunningTask } from './task-running';
import type { TaskWorkflow } from './task-workflow';

export interface Scheduled {
  p: TaskStartParams;
  runtime: SandboxManager;
  outputRoot: string;
  mode: string;
  engine: IPolicyEngine;
  provider: IProvider;
  model: string;
  emit: (e: TaskEvent) => void;
  wf?: TaskWorkflow;
}

/** What scheduling needs of TaskService. */
export interface ScheduleDeps {
  scheduler: Pick<Scheduler, 'submit'>;
  patches: PatchService;
  sanitiser: Sanitiser;
  runDeps(runtime: SandboxManager, outputRoot: string): TaskRunDeps;
  /** Drops the task from the running set once its run ended (not when it was requeued to run again). */
  forget(taskId: string): void;
}

/**
 * Scheduled with its needs (one sandbox at a time, one model request at a time) and its template's preemption
 * policy: code-executor's `pause` freezes the task's sandboxes (tagged with the task id by acquireTaskSandbox);
 * `requeue` (or a pause the engine refuses) stops this run and starts the task again from scratch later.
 */
export function scheduleTask(task: RunningTask, r: Scheduled, d: ScheduleDeps): void {
  const { p, runtime, mode, engine, emit, wf } = r;
  const { patches } = d;
  const taskId = task.id;
  const log = (level: 'debug' | 'info' | 'warn' | 'error', message: string) =>
    process.stderr.write(`task ${taskId} ${level}: ${d.sanitiser.sanitise(message).text}\n`);
  const preemption = runtime.preemptionFor(TASK_TEMPLATE);
  d.scheduler.submit(
    { id: taskId, title: p.prompt.slice(0, 200), priority: 10, resources: { sandboxes: 1, modelRequests: 1 }, preemption },
    (ctx) => {
      task.started = true;
      const signal = AbortSignal.any([ctx.signal, task.abort.signal]);
      const requeued = () =>
        !task.abort.signal.aborted &&
        ctx.signal.aborted &&
        ctx.signal.reason instanceof AirlockError &&
        ctx.signal.reason.code === 'TASKS_PREEMPTED';
      const run = runTask(
        d.runDeps(runtime, r.outputRoot),
        {
          taskId,
          prompt: p.prompt,
          images: p.images,
          history: p.history,
          proposal: p.proposal,
          model: r.model,
          mode,
          budgets: p.budgets,
          provider: r.provider,
          policy: task.policy,
          emit,
          log,
          abort: task.abort,
          whenRunning: (sig) => ctx.whenRunning(sig),
          approve: (req, sig) => askApproval(task, req, sig),
          workflow: wf,
          requeued,
          autoMerge: p.autoMerge?.enabled
            ? (set) =>
                autoMergeTaskSet({
                  patches,
                  engine,
                  taskId,
                  mode,
                  criteria: p.autoMerge!,
                  set,
                  signal,
                  verify: (id, review, sig) =>
                    verifyAccepted({ ...d.runDeps(runtime, r.outputRoot), policyFiles: engine.files }, id, sig ?? signal, { review }),
                })
            : undefined,
        },
        signal,
      ).finally(() => {
        if (!requeued()) d.forget(taskId);
      });
      task.done = run.then(() => undefined);
      // The scheduler learns how the task ended: a failure or budget stop is listed as failed, not as done.
      return run.then((f) => ({ outcome: f.status, message: f.message }));
    },
  );
}
