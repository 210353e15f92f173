// How the kernel gets its sandbox manager: from AIRLOCK_ENGINE / AIRLOCK_ENGINE_SOCKET (set by bootstrap).
import type { AuditInput } from '../../../protocol/src/audit';
import { AirlockError, formatError } from '../../../protocol/src/errors';
import { detectRuntime } from './detect';
import type { ISandboxAuditSink } from './lifecycle';
import { SandboxManager, type SandboxManagerOptions } from './sandbox-manager';
import { sweepPreviousRun } from './restart-sweep';
import { loadTemplates } from '../../../core/src/templates';
import { kernelEgress, type KernelEgressOptions } from '../egress/attach';
import { sandboxRuntimeFromEnv } from '../../../core/src/config/sandbox-runtime';

export interface KernelRuntimeOptions {
  /** The workspace path as the kernel sees it; used as the bind source when the kernel runs on the host. */
  workspace: string;
  audit?: ISandboxAuditSink;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** What the policy hides in the workspace, masked in every sandbox that mounts it (SandboxManager.workspaceMasks). */
  workspaceMasks?: SandboxManagerOptions['workspaceMasks'];
  /** The egress proxy's policy, audit log and state folder, for templates with `egress: proxy` (docs/network.md);
   * absent, those sandboxes are offline. The socket folder's host path comes from AIRLOCK_HOST_STATE_DIR. */
  egress?: Omit<KernelEgressOptions, 'hostStateDir'>;
}

/** undefined when no engine is configured (AIRLOCK_ENGINE unset or `none`) or none answers: the kernel then runs
 * without sandboxes and sandbox/* methods say so. Orphan sweep and warm-pool filling start in the background. */
export async function createKernelRuntime(o: KernelRuntimeOptions): Promise<SandboxManager | undefined> {
  const env = o.env ?? process.env;
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  if (!env.AIRLOCK_ENGINE || env.AIRLOCK_ENGINE === 'none') return undefined;
  try {
    const runtime = await detectRuntime(env);
    const manager = new SandboxManager({
      runtime,
      templates: loadTemplates(),
      audit: o.audit,
      // The bind source must be a path on the engine's host: bootstrap passes the host's workspace path.
      workspaceHost: env.AIRLOCK_HOST_WORKSPACE ?? o.workspace,
      pools: env.AIRLOCK_SANDBOX_POOLS !== '0',
      volumePoolSize: Number(env.AIRLOCK_VOLUME_POOL ?? 2),
      volumeSize: env.AIRLOCK_VOLUME_SIZE || undefined,
      sweepIntervalMs: 60_000,
      workspaceMasks: o.workspaceMasks,
      sandboxRuntime: sandboxRuntimeFromEnv(env), // an unknown value leaves the kernel without sandboxes, never on runc
      egress: o.egress && kernelEgress({ log, ...o.egress, hostStateDir: env.AIRLOCK_HOST_STATE_DIR }),
    });
    // First what this container's previous run left (a restart after a crash), then the usual sweep and pool fill.
    sweepPreviousRun(runtime, manager)
      .then(
        (r) => {
          if (r.containers.length || r.volumes.length)
            log(`restart sweep removed ${r.containers.length} container(s), ${r.volumes.length} volume(s) of the previous run`);
        },
        (err) => log(`restart sweep: ${formatError(err)}`),
      )
      .then(() => manager.start())
      .then(
        (r) => {
          if (r.containers.length || r.volumes.length)
            log(`sandbox sweep removed ${r.containers.length} orphan container(s), ${r.volumes.length} volume(s)`);
        },
        (err) => log(`sandbox runtime start: ${formatError(err)}`),
      );
    return manager;
  } catch (err) {
    log(`sandboxes unavailable: ${formatError(err)}`);
    return undefined;
  }
}

/** Adapts the audit log to the runtime's sink: each transition is one `sandbox.<state>` entry, appended
 * synchronously; with no usable log (chain broken at start) the transition is refused. */
export function sandboxAuditSink(log: () => { append(input: AuditInput): unknown } | undefined): ISandboxAuditSink {
  return {
    record: (t) => {
      const l = log();
      if (!l)
        throw new AirlockError(
          'AUDIT_UNAVAILABLE',
          `cannot record sandbox ${t.sandboxId} ${t.from} → ${t.to}: the audit log is not available`,
          'run `airlock audit verify`; sandboxes start again once the log is sound',
        );
      l.append({
        session: t.session,
        subject: 'kernel',
        action: `sandbox.${t.to}`,
        resource: t.sandboxId,
        payload: { template: t.template, from: t.from, to: t.to, reason: t.reason },
      });
    },
  };
}
