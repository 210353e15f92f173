// What a sandbox container is made of: its mounts and its engine spec, from the template and the request.
import { AirlockError } from '../../../protocol/src/errors';
import type { SandboxRuntime } from '../../../core/src/config/sandbox-runtime';
import { loadSeccomp, parseSize, type SandboxTemplate } from '../../../core/src/templates';
import { FORWARDER_SOURCE } from '../egress/sandbox';
import { AGENT_SOURCE } from './exec-agent';
import type { EgressWiring } from './sandbox-options';
import { AGENT_NODE, LABEL, type ContainerSpec, type MountSpec } from './types';

/** Under runsc the engine's pids limit also counts gVisor's own threads (its Go runtime, the gofer): with only the
 * template's number a small template cannot even boot ("failed to create new OS thread"), so they get this on top. */
export const RUNSC_PIDS_HEADROOM = 64;

/** A scratch volume from the pool and where the sandbox sees it. */
export interface ScratchVolume {
  name: string;
  target: string;
}

/**
 * The workspace (read-only, unless a mount of the request takes its target), the request's mounts (binds must be
 * read-only), then the scratch volumes (writable).
 */
export function sandboxMounts(
  t: SandboxTemplate,
  workspaceHost: string | undefined,
  extra: MountSpec[],
  volumes: ScratchVolume[],
): MountSpec[] {
  for (const m of extra) {
    if (m.type === 'bind' && !m.readOnly) {
      throw new AirlockError(
        'SANDBOX_WRITABLE_BIND',
        `bind mount ${m.source} → ${m.target} must be read-only`,
        'writes go to a volume (an overlay output volume in patch mode), never to a host directory',
      );
    }
  }
  const mounts: MountSpec[] = [];
  if (t.workspace && workspaceHost && !extra.some((m) => m.target === t.workspace!.target)) {
    mounts.push({ type: 'bind', source: workspaceHost, target: t.workspace.target, readOnly: true });
  }
  return [...mounts, ...extra, ...volumes.map((v) => ({ type: 'volume' as const, source: v.name, target: v.target, readOnly: false }))];
}

export interface SpecInput {
  id: string;
  template: SandboxTemplate;
  image: string;
  /** Epoch ms; a label, so the orphan sweep knows it too. */
  deadline: number;
  /** The manager's own labels (owner, session, holder). */
  labels: Record<string, string>;
  mounts: MountSpec[];
  /** Extra tmpfs mounts (the masks of hidden folders). */
  tmpfs: Record<string, string>;
  env?: Record<string, string>;
  task?: string;
  /** The proxy socket and variables of a sandbox with egress (its forwarder runs inside the exec agent's process). */
  egress?: EgressWiring;
  /** runc (the engine's default) or runsc (gVisor). */
  runtime?: SandboxRuntime;
}

/** The engine's container spec: the template's limits and hardening, the exec agent as the command. */
export function containerSpec(s: SpecInput): ContainerSpec {
  const t = s.template;
  const agent = s.egress ? FORWARDER_SOURCE + AGENT_SOURCE : AGENT_SOURCE;
  const plainInit = !!t.image || s.runtime === 'runsc';
  const tmpfs = Object.fromEntries(t.tmpfs.map((m) => [m.path, `rw,nosuid,nodev,${m.exec ? 'exec' : 'noexec'},size=${m.size},mode=1777`]));
  return {
    name: `airlock-${t.name}-${s.id.slice(4)}`,
    // Our images carry tini as PID 1 (reaps orphans, so killed process trees free the pids limit) and the agent's
    // execute-only node (neither can be opened through /proc by a command); a person's own image gets the engine's
    // init and its own node, without that protection (docs/sandboxes.md). So does runsc: gVisor's loader cannot exec
    // an execute-only binary for a non-root user (google/gvisor#160), and its /proc refuses those opens itself.
    image: s.image,
    cmd: plainInit ? ['node', '-e', agent] : ['tini', '--', AGENT_NODE, '-e', agent],
    init: plainInit,
    env: { ...t.env, ...s.env, ...s.egress?.env },
    workingDir: t.workdir,
    user: t.user,
    labels: {
      ...s.labels,
      [LABEL.template]: t.name,
      [LABEL.sandbox]: s.id,
      [LABEL.deadline]: String(s.deadline),
      ...(s.task ? { [LABEL.task]: s.task } : {}),
    },
    readOnlyRoot: t.readOnlyRoot,
    capDrop: t.capDrop,
    noNewPrivileges: t.noNewPrivileges,
    seccompJson: loadSeccomp(t.seccomp),
    pidsLimit: t.limits.pids + (s.runtime === 'runsc' ? RUNSC_PIDS_HEADROOM : 0),
    memoryBytes: parseSize(t.limits.memory),
    nanoCpus: Math.round(t.limits.cpus * 1e9),
    tmpfs: { ...tmpfs, ...s.tmpfs },
    networkMode: t.network,
    mounts: s.egress ? [...s.mounts, s.egress.mount] : s.mounts,
    openStdin: true,
    runtime: s.runtime,
  };
}
