// A kernel on a remote engine: named volumes for its state, its socket dir and the workspace snapshot (no host
// paths exist there), made ready for the kernel's user by a helper container; Docker only (Podman remote: not yet).
import type Docker from 'dockerode';
import { AirlockError } from '../../../protocol/src/errors';
import type { EngineEndpoint } from '../../../protocol/src/node/engine-endpoint';
import { nodeScript, withHelper } from './helper';
import { requireSecureEngine } from './mode';

export interface RemoteKernel {
  volumes: { state: string; ipc: string; workspace: string };
  /** The volumes' mountpoints on the engine's host: the sources the kernel gives the engine for sandbox binds and
   * overlay lower dirs (as it gives the host's paths with a local engine). */
  hostPaths: { state: string; workspace: string };
  /** The engine's own socket on its host, and its group (the kernel joins it to create sandboxes). */
  engineSocket: string;
  engineGid: number;
}

export interface RemoteKernelRequest {
  id: string;
  workspace: string;
  image: string;
  user: { uid: number; gid: number };
  endpoint: EngineEndpoint | undefined;
  address: string;
  kind: 'docker' | 'podman';
  /** The engine's socket path on its host (configuration: engine.hostSocket, default /var/run/docker.sock). */
  engineSocket: string;
  /** Host folders the person configured (policies, templates): they cannot be bind-mounted there. */
  hostFolders: string[];
}

const notFound = (e: { statusCode?: number }) => {
  if (e.statusCode !== 404) throw e;
  return undefined;
};

export function remoteVolumeNames(id: string): RemoteKernel['volumes'] {
  return { state: `airlock-state-${id}`, ipc: `airlock-ipc-${id}`, workspace: `airlock-ws-${id}` };
}

/** The helper's mount points for the three volumes and the engine socket. */
export const AT = { state: '/v/state', ipc: '/v/ipc', workspace: '/v/ws', engine: '/v/engine.sock' };

/** Owns the volume roots by the kernel's user (0700: the token and the audit log are theirs alone) and reads the
 * engine socket's group, in one helper run. */
const INIT = `const fs = require('fs'); const [uid, gid, ...dirs] = process.argv.slice(1);
for (const d of dirs) { fs.chownSync(d, +uid, +gid); fs.chmodSync(d, 0o700); }
process.stdout.write(String(fs.statSync(${JSON.stringify(AT.engine)}).gid));`;

export async function prepareRemoteKernel(docker: Docker, r: RemoteKernelRequest): Promise<RemoteKernel> {
  requireSecureEngine(r.endpoint, r.address);
  if (r.kind !== 'docker') {
    throw new AirlockError(
      'ENGINE_REMOTE_UNSUPPORTED',
      `the engine at ${r.address} is remote Podman, which Airlock does not support yet`,
      'use remote Docker (tcp with TLS, or ssh), or a local Podman socket; docs/install.md, "A remote engine"',
    );
  }
  if (r.hostFolders.length) {
    throw new AirlockError(
      'ENGINE_REMOTE_UNSUPPORTED',
      `your own policies/templates folders (${r.hostFolders.join(', ')}) cannot be mounted into a kernel on a remote engine`,
      'unset AIRLOCK_POLICIES_DIR / AIRLOCK_TEMPLATES_DIR (policies.dir, templates.dir) for this workspace, or use a local engine',
    );
  }
  const volumes = remoteVolumeNames(r.id);
  const labels = { 'airlock.owner': 'airlock', 'airlock.workspace': r.workspace };
  const mountpoint: Record<string, string> = {};
  for (const [role, name] of Object.entries(volumes)) {
    let info = await docker.getVolume(name).inspect().catch(notFound);
    if (!info) {
      await docker.createVolume({ Name: name, Driver: 'local', Labels: { ...labels, 'airlock.role': `remote-${role}` } });
      info = await docker.getVolume(name).inspect();
    }
    mountpoint[role] = info.Mountpoint;
  }
  const binds = [`${volumes.state}:${AT.state}`, `${volumes.ipc}:${AT.ipc}`, `${volumes.workspace}:${AT.workspace}`];
  const socket: Docker.MountSettings = { Type: 'bind', Source: r.engineSocket, Target: AT.engine, ReadOnly: true };
  const gid = await withHelper(
    docker,
    r.image,
    binds,
    labels,
    (c) => nodeScript(c, INIT, [String(r.user.uid), String(r.user.gid), AT.state, AT.ipc, AT.workspace]),
    [socket],
  ).catch((e: Error) => {
    throw new AirlockError(
      'ENGINE_REMOTE_SETUP',
      `cannot prepare the kernel's volumes on the engine at ${r.address}: ${e.message}`,
      `check that the engine's socket on its host is ${r.engineSocket} (engine.hostSocket, AIRLOCK_ENGINE_HOST_SOCKET)`,
    );
  });
  return {
    volumes,
    hostPaths: { state: mountpoint.state, workspace: mountpoint.workspace },
    engineSocket: r.engineSocket,
    engineGid: Number(gid.trim()),
  };
}
