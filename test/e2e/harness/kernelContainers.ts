// Kernel containers the extension started for a workspace, on every engine that answers (for assertions and cleanup).
import * as fs from 'node:fs';
import Docker from 'dockerode';
import { candidateSockets } from '../../../bootstrap';
import { removeWorkspaceLeftovers } from '../../integration/workspace-leftovers';

export interface KernelContainer {
  socket: string;
  id: string;
  name: string;
  state: string;
}

function engines(): Array<{ socket: string; docker: Docker }> {
  return candidateSockets({ runtime: 'auto' })
    .filter((c) => fs.existsSync(c.socket))
    .map((c) => ({ socket: c.socket, docker: new Docker({ socketPath: c.socket, timeout: 5000 }) }));
}

/** Containers labelled airlock.workspace=<workspace> (running or not). */
export async function kernelContainers(workspace: string): Promise<KernelContainer[]> {
  const out: KernelContainer[] = [];
  for (const e of engines()) {
    const list = await e.docker.listContainers({ all: true, filters: { label: [`airlock.workspace=${workspace}`] } }).catch(() => []);
    for (const c of list) out.push({ socket: e.socket, id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), state: c.State });
  }
  return out;
}

/** Force-removes every kernel container of the workspace, its sandboxes and their volumes, so test runs do not
 * accumulate them (an outputs or scratch volume outlives the container that used it). */
export async function removeKernelContainers(workspace: string): Promise<void> {
  for (const e of engines()) await removeWorkspaceLeftovers(workspace, e.docker).catch(() => undefined);
}
