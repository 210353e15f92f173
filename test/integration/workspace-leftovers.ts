// Removes everything a test's kernel for one workspace left on the engine: the kernel, its sandboxes and their volumes.
import * as fs from 'node:fs';
import Docker from 'dockerode';

const gone = () => undefined; // already removed (by the kernel itself, or another cleanup)

/** The sandboxes and scratch volumes of a kernel (labelled with it as holder): a kernel removed by force leaves its
 * warm pools running and their volumes behind. */
export async function removeHeldBy(kernel: string, docker = new Docker()): Promise<void> {
  const held = { filters: { label: [`airlock.holder=container:${kernel}`] } };
  for (const c of await docker.listContainers({ all: true, ...held })) await docker.getContainer(c.Id).remove({ force: true }).catch(gone);
  for (const v of (await docker.listVolumes(held)).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(gone);
}

/** Removing the kernel container alone leaves its outputs volume (labelled with the workspace, which a test keeps
 * only for a while) and what it holds. The workspace is matched as given and with symlinks resolved (the label holds
 * the path the kernel was started with). */
export async function removeWorkspaceLeftovers(ws: string, docker = new Docker()): Promise<void> {
  const paths = new Set([ws, fs.existsSync(ws) ? fs.realpathSync(ws) : ws]);
  for (const workspace of paths) {
    const byWorkspace = { filters: { label: [`airlock.workspace=${workspace}`] } };
    for (const k of await docker.listContainers({ all: true, ...byWorkspace })) {
      await docker.getContainer(k.Id).remove({ force: true }).catch(gone);
      for (const name of k.Names ?? []) await removeHeldBy(name.replace(/^\//, ''), docker);
    }
    for (const v of (await docker.listVolumes(byWorkspace)).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(gone);
  }
}
