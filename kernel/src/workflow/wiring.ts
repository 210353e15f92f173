// How the kernel builds its scheduler and workflow service (kept here so main.ts stays a few lines).
import * as os from 'node:os';
import * as path from 'node:path';
import type { KernelConfig } from '../config';
import type { PatchService } from '../patches/service';
import { Scheduler } from '../scheduler/scheduler';
import { patchApprovals } from './approvals';
import { WorkflowService } from './machine';

export const WORKFLOW_DB = 'workflow.db';

export function createScheduler(limits = { sandboxes: 4, modelRequests: 4, cpu: Math.max(1, os.availableParallelism()) }): Scheduler {
  // The runtime's IPreemptor (engine pause/unpause) is passed here once it exists; until then "pause" tasks are not preempted.
  return new Scheduler({ limits, ageStepMs: 5_000 });
}

export function createWorkflow(config: KernelConfig, patches: PatchService): WorkflowService {
  // The sandboxed ITestRunner (code-executor) is passed here once the runtime offers it; until then test guards fail closed.
  return new WorkflowService({ dbPath: path.join(config.stateDir, WORKFLOW_DB), approvals: patchApprovals(patches) });
}
