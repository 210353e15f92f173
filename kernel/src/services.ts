// What handlers may use: the kernel's services, each behind a small interface, owned by main.ts.
import type { KernelConfig } from './config';
import type { KernelAudit } from './audit/startup';
import type { IEventBus } from './event-bus';
import type { IPolicyEngine } from '../../core/src/policy/engine';
import type { PatchService } from './patches/service';
import type { Scheduler } from './scheduler/scheduler';
import type { WorkflowService } from './workflow/machine';
import type { SandboxManager } from './runtime/sandbox-manager';
import type { TaskService } from './agent/task-service';

export interface KernelServices {
  readonly config: KernelConfig;
  readonly version: string;
  readonly startedAt: number;
  /** Typed events pushed to every connected client (extension, CLI). */
  readonly events: IEventBus;
  /** Decides every action (optional so tests can build services without it). */
  readonly policy?: IPolicyEngine;
  /** Patch sets, review decisions and merge planning (optional so tests can build services without it). */
  readonly patches?: PatchService;
  /** Task queue with priorities, dependencies, limits and preemption (optional so tests can build services without it). */
  readonly scheduler?: Scheduler;
  /** Workflow sessions: modes, guarded transitions, chained history (optional so tests can build services without it). */
  readonly workflow?: WorkflowService;
  /** Container manager: sandboxes from templates, warm pools, exec agent, orphan sweep (absent without an engine). */
  readonly runtime?: SandboxManager;
  /** The audit log (verified at start; `audit.assertSessionsAllowed()` before a session starts). Optional for tests. */
  readonly audit?: KernelAudit;
  /** Agent tasks: task/start, task/cancel, task/approve, provider/configure (absent in tests that do not need it). */
  tasks?: TaskService;
}
