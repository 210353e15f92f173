// Kernel container: its image, its create options (read-only workspace, state, socket dir, limits, labels), connect + ping.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { AirlockError, ErrorCodes } from '../protocol/src/errors';
import { connectSocket } from '../protocol/src/node/socket-transport';
import { RpcClient } from '../protocol/src/rpc-client';
import { ensureNodeImage, NodeImageSpec, Progress } from '../templates/builder/node-rootfs';
import type { BootstrapConfig, Paths } from './config';
import type { Engine } from './runtime';

export const CLIENT = { name: 'airlock', version: '0.1.0' };
const IN = { workspace: '/workspace', state: '/state', socketDir: '/run/airlock', engine: '/run/engine.sock' };

/** The bundled kernel (dist/kernel) next to this bundle, or in the checkout when running from sources. */
export function kernelBundleDir(): string {
  for (const d of [path.join(__dirname, 'kernel'), path.join(__dirname, '..', 'dist', 'kernel')]) {
    if (fs.existsSync(path.join(d, 'kernel.js'))) return d;
  }
  throw new AirlockError(ErrorCodes.KernelStart, 'the kernel bundle (dist/kernel/kernel.js) is missing', 'run `npm run build` in the Airlock checkout');
}

export function kernelImageSpec(root = path.resolve(kernelBundleDir(), '..', '..')): NodeImageSpec {
  const dir = kernelBundleDir();
  const files: Record<string, string> = { '/opt/airlock/kernel': dir };
  for (const d of ['policies', 'templates/sandbox', 'templates/seccomp', 'examples']) if (fs.existsSync(path.join(root, d))) files[`/opt/airlock/${d}`] = path.join(root, d);
  return { repo: 'airlock/kernel', files, changes: ['WORKDIR /opt/airlock', 'CMD ["/usr/bin/node", "/opt/airlock/kernel/kernel.js"]', 'LABEL airlock.owner=airlock airlock.role=kernel-image'] };
}

export async function ensureKernelImage(engine: Engine, cfg: BootstrapConfig, progress?: Progress, signal?: AbortSignal): Promise<string> {
  if (cfg.image) return cfg.image;
  return ensureNodeImage(engine.docker, kernelImageSpec(), progress, signal);
}

function seccompDir(paths: Paths): string {
  return path.join(paths.root, 'seccomp');
}

export function containerName(paths: Paths): string {
  return `airlock-kernel-${paths.id}`;
}

export function kernelCreateOptions(engine: Engine, cfg: BootstrapConfig, paths: Paths, image: string): Docker.ContainerCreateOptions {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const engineGid = fs.statSync(engine.socket).gid;
  return {
    name: containerName(paths),
    Image: image,
    User: `${uid}:${gid}`,
    Env: [`AIRLOCK_WORKSPACE=${IN.workspace}`, `AIRLOCK_STATE_DIR=${IN.state}`, `AIRLOCK_SOCKET_DIR=${IN.socketDir}`, 'AIRLOCK_IN_CONTAINER=1',
      `AIRLOCK_ALLOWED_UID=${uid}`, `AIRLOCK_ENGINE=${engine.kind}`, `AIRLOCK_ENGINE_SOCKET=${IN.engine}`,
      // Sandboxes are created by the host's engine, so their bind sources must be host paths.
      `AIRLOCK_HOST_WORKSPACE=${cfg.workspace}`, `AIRLOCK_HOST_STATE_DIR=${paths.state}`, `AIRLOCK_KERNEL_CONTAINER=${containerName(paths)}`,
      'AIRLOCK_POLICIES_DIR=/opt/airlock/policies', 'AIRLOCK_TEMPLATES_DIR=/opt/airlock/templates', `AIRLOCK_SECCOMP_DIR=${seccompDir(paths)}`],
    Labels: { 'airlock.owner': 'airlock', 'airlock.role': 'kernel', 'airlock.workspace': cfg.workspace, 'airlock.image': image },
    HostConfig: {
      // Podman reads seccomp profiles from a host path, so that directory has the same path on both sides.
      Binds: [`${cfg.workspace}:${IN.workspace}:ro`, `${paths.state}:${IN.state}`, `${paths.socketDir}:${IN.socketDir}`, `${engine.socket}:${IN.engine}`,
        `${seccompDir(paths)}:${seccompDir(paths)}`],
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      GroupAdd: [String(engineGid)],
      NetworkMode: cfg.kernelNetwork,
      Memory: cfg.memoryBytes,
      PidsLimit: cfg.pidsLimit,
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=268435456' },
      // Podman's default rlimits exceed many hosts' hard limits; explicit values work on both engines.
      Ulimits: engine.kind === 'podman' ? [{ Name: 'nofile', Soft: 1024, Hard: 1024 }, { Name: 'nproc', Soft: 4096, Hard: 4096 }] : undefined,
      RestartPolicy: { Name: 'no' },
    },
  };
}

/** Starts (or reuses) the kernel container. A container from another image or config is replaced. */
export async function startKernelContainer(engine: Engine, opts: Docker.ContainerCreateOptions, paths: Paths): Promise<Docker.Container> {
  fs.mkdirSync(paths.state, { recursive: true, mode: 0o700 });
  fs.mkdirSync(paths.socketDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(seccompDir(paths), { recursive: true, mode: 0o700 });
  const existing = engine.docker.getContainer(opts.name!);
  const info = await existing.inspect().catch(() => undefined);
  if (info && info.Config.Labels?.['airlock.image'] === opts.Image && info.State.Running) return existing;
  if (info && info.Config.Labels?.['airlock.image'] === opts.Image) {
    await existing.start().catch(ignoreAlreadyStarted);
    return existing;
  }
  if (info) await existing.remove({ force: true });
  fs.rmSync(paths.socket, { force: true });
  const c = await engine.docker.createContainer(opts);
  await c.start();
  return c;
}

export function ignoreAlreadyStarted(e: { statusCode?: number }): void {
  if (e.statusCode !== 304) throw e;
}

/** Connects, authenticates with the socket token and checks the kernel answers a ping. */
export async function connectKernel(paths: Paths, timeoutMs: number, signal?: AbortSignal): Promise<RpcClient> {
  const token = fs.readFileSync(paths.token, 'utf8').trim();
  const client = new RpcClient(await connectSocket(paths.socket, signal));
  try {
    await client.handshake(CLIENT, token, { timeoutMs, signal });
    await client.request('kernel/ping', {}, { timeoutMs, signal });
    return client;
  } catch (e) {
    client.dispose();
    throw e;
  }
}

/** Retries connectKernel until the kernel answers or the deadline passes. */
export async function waitForKernel(paths: Paths, deadlineMs: number, pingTimeoutMs: number, isAlive: () => Promise<boolean>, signal?: AbortSignal): Promise<RpcClient> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (let delay = 5; Date.now() < end; delay = Math.min(delay * 2, 100)) {
    signal?.throwIfAborted();
    if (fs.existsSync(paths.token) && fs.existsSync(paths.socket)) {
      try { return await connectKernel(paths, pingTimeoutMs, signal); } catch (e) { last = e; }
    }
    if (!(await isAlive())) throw new AirlockError(ErrorCodes.KernelStart, 'the kernel container exited during start', 'see its output with `airlock doctor` or `docker logs airlock-kernel-*`');
    await new Promise((r) => setTimeout(r, delay));
  }
  throw new AirlockError(ErrorCodes.KernelUnhealthy, `the kernel did not answer within ${deadlineMs} ms${last ? `: ${(last as Error).message}` : ''}`, 'run `airlock doctor` for details');
}
