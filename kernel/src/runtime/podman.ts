// Podman adapter: Podman's Docker-compatible service, with the quirks it needs on hosts with low hard limits.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DockerodeRuntime } from './dockerode-runtime';
import type { ContainerSpec } from './types';

export const PODMAN_SOCKET = '/run/podman/podman.sock';

/** Podman's default rlimits (nofile 1048576, nproc ~96k) exceed many hosts' hard limits: runs fail with
 * "error setting rlimit type 7/6: operation not permitted" unless the container asks for less. */
export const PODMAN_ULIMITS = [
  { Name: 'nofile', Soft: 1024, Hard: 1024 },
  { Name: 'nproc', Soft: 4096, Hard: 4096 },
];

/** Podman's compat API reads `seccomp=` as a path on the engine's host, not as the profile's content (Docker's
 * reading). Profiles are written here by content hash; a kernel in a container must see this directory at the
 * same path as the host (bootstrap bind-mounts it), set with AIRLOCK_SECCOMP_DIR. */
export function seccompDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.AIRLOCK_SECCOMP_DIR ?? path.join(os.tmpdir(), 'airlock-seccomp');
}

export class PodmanRuntime extends DockerodeRuntime {
  readonly engine = 'podman' as const;
  /** Rootless (bootstrap says so): sandboxes get a keep-id user namespace, so the workspace user is the person. */
  private readonly rootless: boolean;
  constructor(
    socketPath = PODMAN_SOCKET,
    private readonly profileDir = seccompDir(),
    env: NodeJS.ProcessEnv = process.env,
  ) {
    super(socketPath);
    this.rootless = env.AIRLOCK_ENGINE_ROOTLESS === '1';
  }

  override createContainer(spec: ContainerSpec, signal?: AbortSignal): Promise<string> {
    if (!spec.seccompJson) return super.createContainer(spec, signal);
    const file = path.join(this.profileDir, `${createHash('sha256').update(spec.seccompJson).digest('hex').slice(0, 24)}.json`);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(this.profileDir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, spec.seccompJson);
      fs.renameSync(tmp, file);
    }
    return super.createContainer({ ...spec, seccompPath: file }, signal);
  }

  protected override adjustHostConfig(hc: Parameters<DockerodeRuntime['adjustHostConfig']>[0]) {
    return {
      ...hc,
      Ulimits: [...(hc.Ulimits ?? []), ...PODMAN_ULIMITS],
      Tmpfs: noTmpCopyUp(hc.Tmpfs),
      ...(this.rootless ? { UsernsMode: 'keep-id' } : {}),
    };
  }
}

/** Podman copies an image's files into a tmpfs through a scratch folder in the host's /tmp, which rootless Podman
 * cannot create where /tmp is not world-writable; our images' tmpfs targets are empty, so there is nothing to copy. */
export function noTmpCopyUp(tmpfs: Record<string, string> | undefined): Record<string, string> {
  const all = { '/run': 'rw,nosuid,nodev,size=16m', '/var/tmp': 'rw,nosuid,nodev,size=16m', ...tmpfs };
  return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.includes('tmpcopyup') ? v : `${v},notmpcopyup`]));
}
