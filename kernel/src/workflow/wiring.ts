// How the kernel builds its scheduler and workflow service (kept here so main.ts stays a few lines).
import * as os from 'node:os';
import * as path from 'node:path';
import type { KernelConfig } from '../config';
import type { PatchService } from '../patches/service';
import { PreemptibleRuntime, RuntimePreemptor } from '../scheduler/runtime-preemptor';
import { Scheduler } from '../scheduler/scheduler';
import { patchApprovals } from './approvals';
import { WorkflowService } from './machine';

export const WORKFLOW_DB = 'workflow.db';

export const DEFAULT_LIMITS = { sandboxes: 4, modelRequests: 4, cpu: Math.max(1, os.availableParallelism()) };

/** With a runtime, "pause" tasks are preempted with the engine's pause; without one they are never preempted. */
export function createScheduler(limits = DEFAULT_LIMITS, runtime?: PreemptibleRuntime): Scheduler {
  return new Scheduler({ limits, ageStepMs: 5_000, preemptor: runtime ? new RuntimePreemptor(runtime) : undefined });
}

export function createWorkflow(config: KernelConfig, patches: PatchService): WorkflowService {
  // The sandboxed ITestRunner (code-executor) is passed here once the runtime offers it; until then test guards fail closed.
  return new WorkflowService({ dbPath: path.join(config.stateDir, WORKFLOW_DB), approvals: patchApprovals(patches) });
}
