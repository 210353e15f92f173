// How the kernel builds its scheduler and workflow service (kept here so main.ts stays a few lines).
import * as os from 'node:os';
import * as path from 'node:path';
import type { TaskStatus } from '../../../protocol/src/agent';
import { DisposableStore, type IDisposable } from '../../../protocol/src/lifecycle';
import type { TaskState } from '../../../protocol/src/methods/tasks';
import type { AuditSource } from '../audit/record';
import type { KernelConfig } from '../config';
import type { IEventBus } from '../event-bus';
import type { PatchService } from '../patches/service';
import { type PreemptibleRuntime, RuntimePreemptor } from '../scheduler/runtime-preemptor';
import { Scheduler, type SchedulerOptions } from '../scheduler/scheduler';
import { patchApprovals } from './approvals';
import { WorkflowService } from './machine';
import { SandboxTestRunner, type SandboxTestRunnerOptions } from './sandbox-test-runner';

export const WORKFLOW_DB = 'workflow.db';

export const DEFAULT_LIMITS = { sandboxes: 4, modelRequests: 4, cpu: Math.max(1, os.availableParallelism()) };

/**
 * With a runtime, "pause" tasks are preempted with the engine's pause; without one they are never preempted. Tasks
 * finished before the newest 1,000 are looked up in `pastOutcome` (the sessions store), not kept in memory.
 */
export function createScheduler(
  limits = DEFAULT_LIMITS,
  runtime?: PreemptibleRuntime,
  pastOutcome?: SchedulerOptions['pastOutcome'],
): Scheduler {
  return new Scheduler({ limits, ageStepMs: 5_000, preemptor: runtime ? new RuntimePreemptor(runtime) : undefined, pastOutcome });
}

/** A stored session's status as the scheduler's state; undefined while it runs (or for an unknown id). */
export function stateOfStatus(status: TaskStatus | null | undefined): TaskState | undefined {
  if (!status) return undefined;
  switch (status) {
    case 'completed':
      return 'done';
    case 'cancelled':
      return 'cancelled';
    case 'failed':
    case 'budget-exceeded':
      return 'failed';
  }
}

/**
 * With a runtime, test guards run the project's tests in a code-executor sandbox; without one they fail closed. Every
 * session change is recorded in `audit` before it is stored.
 */
export function createWorkflow(
  config: KernelConfig,
  patches: PatchService,
  audit: AuditSource,
  runtime?: SandboxTestRunnerOptions['runtime'],
): WorkflowService {
  const runner = runtime ? new SandboxTestRunner({ runtime }) : undefined;
  return new WorkflowService({ dbPath: path.join(config.stateDir, WORKFLOW_DB), audit, approvals: patchApprovals(patches), runner });
}

/** Pushes scheduler and workflow changes to every client as `tasks/changed` and `workflow/changed` (live Tasks view). */
export function connectEvents(events: IEventBus, scheduler?: Scheduler, workflow?: WorkflowService): IDisposable {
  const store = new DisposableStore();
  if (scheduler) store.add(scheduler.onDidChange((task) => events.emit('tasks/changed', task)));
  if (workflow) store.add(workflow.onDidChange((e) => events.emit('workflow/changed', e)));
  return store;
}
