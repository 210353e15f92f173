// What a sandbox manager is built with, and what a caller may ask of one sandbox.
import type { SandboxRuntime } from '../../../core/src/config/sandbox-runtime';
import type { SandboxTemplate } from '../../../core/src/templates';
import type { ISandboxAuditSink } from './lifecycle';
import type { ExecVia } from './sandbox';
import type { SandboxMasks } from './sandbox-masks';
import type { IContainerRuntime, MountSpec } from './types';

export type { SandboxMasks } from './sandbox-masks';

export interface SandboxManagerOptions {
  runtime: IContainerRuntime;
  templates: Map<string, SandboxTemplate>;
  audit?: ISandboxAuditSink;
  /** This kernel's session; labels every container and volume. */
  session?: string;
  /** Host path of the workspace, bind-mounted read-only where a template asks for it. */
  workspaceHost?: string;
  /** Warm pools on (pool sizes come from the templates). */
  pools?: boolean;
  volumePoolSize?: number;
  /** tmpfs size cap of each scratch volume (e.g. 256m); unset = bounded by the sandbox's memory limit. */
  volumeSize?: string;
  /** Orphan sweep period; 0 = only when asked. */
  sweepIntervalMs?: number;
  execVia?: ExecVia;
  /** What the policy hides in the workspace, masked in every sandbox that gets the workspace and names no masks of
   * its own (computed at each creation; a throw fails the creation). */
  workspaceMasks?: () => SandboxMasks | Promise<SandboxMasks>;
  /** The kernel's egress proxy, for templates with `egress: proxy`; absent, those sandboxes are offline like the rest. */
  egress?: SandboxEgress;
  /** The OCI runtime of every sandbox (sandbox.runtime): runc, the engine's default, or runsc (gVisor). */
  sandboxRuntime?: SandboxRuntime;
}

/** What a sandbox with egress is given (kernel/src/egress/sandbox.ts): a read-only socket mount and proxy variables. */
export interface EgressWiring {
  mount: MountSpec;
  env: Record<string, string>;
  /** The mounted folder as the kernel sees it: a process's stdio socket goes there too (mcp/socket-exec.ts). */
  folder?: string;
}

/** Opens a proxy socket for one sandbox (its task read at each connection: a warm sandbox gets one later). */
export interface SandboxEgress {
  /** `proxy`: the audited CONNECT/HTTP proxy; `provider`: only the task's model provider (the kernel adds the key). */
  open(sandbox: string, session: string, task: () => string | undefined, kind?: 'proxy' | 'provider'): Promise<EgressWiring>;
  close(sandbox: string): Promise<void>;
}

export interface CreateSandboxOptions {
  template: string;
  /** Extra mounts. Bind mounts must be read-only; a volume (e.g. patch mode's overlay) may be writable and may
   * take the workspace's target, replacing the read-only workspace bind. */
  mounts?: MountSpec[];
  /** Scratch volumes from the volume pool, mounted writable at these targets. */
  volumes?: string[];
  env?: Record<string, string>;
  deadlineSeconds?: number;
  /** The scheduler task this sandbox works for: preemption pauses (or destroys) a task's sandboxes together. */
  task?: string;
  signal?: AbortSignal;
  /** Paths the policy hides, masked under the workspace target (default: the manager's workspaceMasks). */
  masks?: SandboxMasks;
  /** Puts an offline template behind the egress proxy for this sandbox (its seccomp profile then allows network
   * sockets): code-executor when the task's policy grants hosts (kernel/src/egress/grant.ts). */
  egress?: 'proxy';
}
