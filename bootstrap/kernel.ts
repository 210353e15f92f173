// Kernel container: its image, its create options (read-only workspace, state, socket dir, limits, labels), connect + ping.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { encodeManaged } from '../core/src/config/managed';
import { AirlockError, ErrorCodes } from '../protocol/src/errors';
import type { KernelLink } from '../core/src/remote/link';
import type { RemoteKernel } from '../core/src/remote/volumes';
import { RpcClient } from '../protocol/src/rpc-client';
import type { BootstrapConfig, ConfigNotes, Paths } from '../core/src/config/bootstrap';
import type { OutputsVolume } from '../core/src/engine/outputs-volume';
import type { Engine } from '../core/src/engine/detect';
import { IMAGE_ROOT } from '../templates/builder/kernel-image';
import { ownStateBy, workspaceUser } from '../core/src/engine/workspace-owner';
import { fitHash, misfit } from '../core/src/engine/kernel-fit';

export const CLIENT = { name: 'airlock', version: '0.1.0' };
/** Podman mounts /run and /var/tmp on a read-only root itself, copying the image's (empty) folders through the host's
 * /tmp, which rootless Podman cannot write where /tmp is not world-writable: declared here without that copy. */
const PODMAN_TMPFS = Object.fromEntries(
  [
    ['/tmp', 268435456],
    ['/run', 16777216],
    ['/var/tmp', 16777216],
  ].map(([p, size]) => [p, `rw,nosuid,nodev,size=${size},notmpcopyup`]),
);
const IN = {
  workspace: '/workspace',
  state: '/state',
  outputs: '/outputs',
  socketDir: '/run/airlock',
  engine: '/run/engine.sock',
  userPolicies: `${IMAGE_ROOT}/user/policies`,
  userTemplates: `${IMAGE_ROOT}/user/templates`,
};

function seccompDir(paths: Paths): string {
  return path.join(paths.root, 'seccomp');
}

export function containerName(paths: Paths): string {
  return `airlock-kernel-${paths.id}`;
}

/** `remote`: a kernel on a remote engine gets named volumes (state, socket dir, workspace snapshot), not host binds. */
export function kernelCreateOptions(
  engine: Engine,
  cfg: BootstrapConfig & Partial<ConfigNotes>,
  paths: Paths,
  image: string,
  outputs: OutputsVolume,
  remote?: RemoteKernel,
): Docker.ContainerCreateOptions {
  if (!remote && engine.endpoint && engine.endpoint.type !== 'unix') {
    throw new AirlockError(
      'ENGINE_REMOTE_UNSUPPORTED',
      `the engine at ${engine.socket} answers, but the kernel needs its unix socket mounted (${engine.endpoint.type} engines are not supported yet)`,
      'use a local engine (its unix socket), e.g. DOCKER_HOST=unix:///var/run/docker.sock; docs/install.md lists the supported set-ups',
    );
  }
  const user = workspaceUser(cfg.workspace);
  const engineGid = remote?.engineGid ?? fs.statSync(engine.socket).gid;
  const src = remote
    ? { ...remote.volumes, engine: remote.engineSocket }
    : { workspace: cfg.workspace, state: paths.state, ipc: paths.socketDir, engine: engine.socket };
  const ws = fs.statSync(cfg.workspace);
  const opts: Docker.ContainerCreateOptions = {
    name: containerName(paths),
    Image: image,
    User: `${user.uid}:${user.gid}`,
    Env: [
      `AIRLOCK_WORKSPACE=${IN.workspace}`,
      `AIRLOCK_STATE_DIR=${IN.state}`,
      `AIRLOCK_SOCKET_DIR=${IN.socketDir}`,
      'AIRLOCK_IN_CONTAINER=1',
      // Through the exec stream the kernel's peer is the relay, which runs as the kernel's own user.
      `AIRLOCK_ALLOWED_UID=${remote ? user.uid : (process.getuid?.() ?? 0)}`,
      `AIRLOCK_SANDBOX_USER=${user.uid}:${user.gid}`,
      `AIRLOCK_ENGINE=${engine.kind}`,
      `AIRLOCK_ENGINE_SOCKET=${IN.engine}`,
      `AIRLOCK_ENGINE_ROOTLESS=${engine.rootless ? 1 : 0}`,
      // Sandboxes are created by the host's engine, so their bind sources must be host paths.
      `AIRLOCK_HOST_WORKSPACE=${remote?.hostPaths.workspace ?? cfg.workspace}`,
      `AIRLOCK_HOST_STATE_DIR=${remote?.hostPaths.state ?? paths.state}`,
      `AIRLOCK_KERNEL_CONTAINER=${containerName(paths)}`,
      ...(remote ? [] : [`AIRLOCK_SECCOMP_DIR=${seccompDir(paths)}`]),
      // Task output dirs live on the outputs tmpfs (never the state volume); overlays name it by its host mountpoint.
      `AIRLOCK_OUTPUTS_DIR=${IN.outputs}`,
      `AIRLOCK_HOST_OUTPUTS_DIR=${outputs.mountpoint}`,
      `AIRLOCK_KERNEL_IDLE_MINUTES=${cfg.idleMinutes}`, // the kernel stops itself when idle (kernel/src/lifecycle/idle.ts)
      `AIRLOCK_SANDBOX_RUNTIME=${cfg.sandboxRuntime}`, // runc or runsc (gVisor): kernel/src/runtime/dockerode-runtime.ts
      `AIRLOCK_EGRESS_RELAY=${cfg.egressRelay}`, // the proxy's tunnel relay: kernel/src/egress/native-relay.ts
      // glibc gives each thread that allocates an arena of its own (64 MiB reserved, filled and rarely given back): the
      // kernel's ~16 threads (libuv pool, V8 helpers, the audit writer and walkers) held ~7 MB each, its RSS rising.
      'MALLOC_ARENA_MAX=2',
      // Debug only, off by default: the soak's memory probe (kernel/src/lifecycle/memory-probe.ts).
      ...(cfg.memoryProbeMs ? [`AIRLOCK_MEMORY_PROBE_MS=${cfg.memoryProbeMs}`] : []),
      // Managed settings travel with the kernel: it records their digest at start and enforces them on every task.
      ...(cfg.managed ? [`AIRLOCK_MANAGED=${encodeManaged(cfg.managed)}`] : []),
    ],
    Labels: {
      'airlock.owner': 'airlock',
      'airlock.role': 'kernel',
      'airlock.workspace': cfg.workspace,
      'airlock.image': image,
      // The folder's identity, not just its path: a folder deleted and cloned again at the same path is another one.
      'airlock.workspace-id': `${ws.dev}:${ws.ino}`,
      'airlock.outputs': outputs.options,
    },
    HostConfig: {
      // Podman reads seccomp profiles from a host path, so that directory has the same path on both sides.
      Binds: [
        `${src.workspace}:${IN.workspace}:ro`,
        `${src.state}:${IN.state}`,
        `${src.ipc}:${IN.socketDir}`,
        `${src.engine}:${IN.engine}`,
        ...(remote ? [] : [`${seccompDir(paths)}:${seccompDir(paths)}`]),
        `${outputs.name}:${IN.outputs}`,
      ],
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      GroupAdd: [String(engineGid)],
      NetworkMode: cfg.kernelNetwork,
      // tmpfs pages are charged to the writer: the agent's own edits on the outputs tmpfs must not OOM the kernel.
      Memory: cfg.memoryBytes + outputs.bytes,
      PidsLimit: cfg.pidsLimit,
      Tmpfs: engine.kind === 'podman' ? PODMAN_TMPFS : { '/tmp': 'rw,nosuid,nodev,size=268435456' },
      // Podman's default rlimits exceed many hosts' hard limits; explicit values work on both engines.
      Ulimits:
        engine.kind === 'podman'
          ? [
              { Name: 'nofile', Soft: 1024, Hard: 1024 },
              { Name: 'nproc', Soft: 4096, Hard: 4096 },
            ]
          : undefined,
      RestartPolicy: { Name: 'no' },
      // Rootless Podman: the container's uid is the person's own, so the state folder and workspace (0700) open.
      ...(engine.rootless ? { UsernsMode: 'keep-id' } : {}),
    },
  };
  for (const [dest, dir] of Object.entries(userAssetMounts(cfg))) {
    opts.HostConfig!.Binds!.push(`${dir}:${dest}:ro`);
    opts.Env!.push(`${dest === IN.userPolicies ? 'AIRLOCK_POLICIES_DIR' : 'AIRLOCK_TEMPLATES_DIR'}=${dest}`);
  }
  opts.Labels!['airlock.fit'] = fitHash(opts);
  return opts;
}

/** The person's own policies and sandbox templates (AIRLOCK_POLICIES_DIR / AIRLOCK_TEMPLATES_DIR on the host),
 * mounted read-only into the kernel, inside the folder its built-in policy protects. */
function userAssetMounts(cfg: BootstrapConfig): Record<string, string> {
  const out: Record<string, string> = {};
  if (cfg.policiesDir) out[IN.userPolicies] = cfg.policiesDir;
  if (cfg.templatesDir) out[IN.userTemplates] = cfg.templatesDir;
  return out;
}

/** Starts (or reuses) the kernel container. One whose image, user, configuration or workspace identity differs is
 * replaced, and `say` tells why. */
export async function startKernelContainer(
  engine: Engine,
  opts: Docker.ContainerCreateOptions,
  paths: Paths,
  say: (l: string) => void = () => {},
): Promise<Docker.Container> {
  for (const d of [paths.state, paths.socketDir, seccompDir(paths)]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  ownStateBy(paths, opts.User!);
  const existing = engine.docker.getContainer(opts.name!);
  const info = await existing.inspect().catch(() => undefined);
  const fits = info?.Config.Labels?.['airlock.fit'] === opts.Labels!['airlock.fit'];
  if (info && fits && info.State.Running) return existing;
  if (info && fits) {
    await existing.start().catch(ignoreAlreadyStarted);
    return existing;
  }
  if (info) {
    say(`replacing the kernel container ${opts.name}: ${misfit(info.Config.Labels ?? {}, info.Config.User, opts)}`);
    await existing.remove({ force: true });
  }
  fs.rmSync(paths.socket, { force: true });
  const c = await engine.docker.createContainer(opts);
  await c.start();
  return c;
}

export function ignoreAlreadyStarted(e: { statusCode?: number }): void {
  if (e.statusCode !== 304) throw e;
}

/** Connects (unix socket or exec stream), authenticates with the kernel's token and checks the kernel answers a ping. */
export async function connectKernel(link: KernelLink, timeoutMs: number, signal?: AbortSignal): Promise<RpcClient> {
  const token = await link.token(signal);
  const client = new RpcClient(await link.connect(signal));
  try {
    await client.handshake(CLIENT, token, { timeoutMs, signal });
    await client.request('kernel/ping', {}, { timeoutMs, signal });
    return client;
  } catch (e) {
    client.dispose();
    throw e;
  }
}

/** Retries connectKernel until the kernel answers or the deadline passes; `exited` says why the container is gone
 * (undefined while it runs). */
export async function waitForKernel(
  link: KernelLink,
  deadlineMs: number,
  pingTimeoutMs: number,
  exited: () => Promise<Error | undefined>,
  signal?: AbortSignal,
): Promise<RpcClient> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (let delay = 5; Date.now() < end; delay = Math.min(delay * 2, 100)) {
    signal?.throwIfAborted();
    if (link.ready()) {
      try {
        return await connectKernel(link, pingTimeoutMs, signal);
      } catch (e) {
        last = e;
      }
    }
    const gone = await exited();
    if (gone) throw gone;
    await new Promise((r) => setTimeout(r, delay));
  }
  throw new AirlockError(
    ErrorCodes.KernelUnhealthy,
    `the kernel did not answer within ${deadlineMs} ms${last ? `: ${(last as Error).message}` : ''}`,
    'run `airlock doctor` for details',
  );
}
