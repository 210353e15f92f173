// What handlers may use: the kernel's services, each behind a small interface, owned by main.ts.
import type { KernelConfig } from './config';
import type { KernelAudit } from './audit/startup';
import type { IEventBus } from './event-bus';
import type { IPolicyEngine } from '../../core/src/policy/engine';
import type { PatchService } from './patches/service';
import type { Scheduler } from './scheduler/scheduler';
import type { WorkflowService } from './workflow/machine';
import type { SandboxService } from './runtime/no-sandboxes';
import type { TaskService } from './agent/task-service';
import type { TokenService } from '../../core/src/policy/tokens';
import type { SessionStore } from './sessions/store';
import type { ExternalSessions } from './agent/external-sessions';
import type { McpServers } from './mcp/servers';
import type { Plugins } from './plugins/registry';

/** Every service is present: one that cannot work in this kernel is an explicit null object that refuses each call. */
export interface KernelServices {
  readonly config: KernelConfig;
  readonly version: string;
  readonly startedAt: number;
  /** Typed events pushed to every connected client (extension, CLI). */
  readonly events: IEventBus;
  /** Decides every action. */
  readonly policy: IPolicyEngine;
  /** Patch sets, review decisions and merge planning. */
  readonly patches: PatchService;
  /** Task queue with priorities, dependencies, limits and preemption. */
  readonly scheduler: Scheduler;
  /** Workflow sessions: modes, guarded transitions, chained history. */
  readonly workflow: WorkflowService;
  /** Sandboxes from templates, warm pools, exec agent, orphan sweep; NoSandboxes (refuses every call) without an engine. */
  readonly runtime: SandboxService;
  /** The audit log, verified at start (`writer` throws AUDIT_UNAVAILABLE when it could not be opened). */
  readonly audit: KernelAudit;
  /** The kernel's one capability-token service: the policy engine verifies what task grants mint. */
  readonly tokens: TokenService;
  /** Agent tasks: task/start, task/cancel, task/approve, provider/configure. */
  readonly tasks: TaskService;
  /** Stored task sessions: prompt, transcript, cost, patch set (`sessions/*`). */
  readonly sessions: SessionStore;
  /** Other agents' sessions through `airlock mcp serve`: external/open|call|approve|close. */
  readonly external: ExternalSessions;
  /** MCP servers as plugins, each in its own sandbox; their tools join every task's (`mcp/configure`, `mcp/list`). */
  readonly mcp: McpServers;
  /** Tool plugins, each approved one in its own sandbox; their tools join every task's (`plugins/*`). */
  readonly plugins: Plugins;
}

/** The audit log as a handler that records or reads uses it: `KernelAudit.writer`, the opened log (AUDIT_UNAVAILABLE when
 * it could not be opened, with why). */
export interface AuditWriter {
  readonly audit: Pick<KernelAudit, 'writer'>;
}
