// Shared setup for kernel integration tests: a temp workspace and state root per engine.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KernelSupervisor } from '../../../bootstrap';
import { removeHeldBy } from '../workspace-leftovers';

export const ENGINES = ['docker', 'podman'] as const;

export function tempWorkspace(): { workspace: string; stateRoot: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-it-'));
  const workspace = path.join(base, 'ws');
  fs.mkdirSync(path.join(workspace, 'src'), { recursive: true });
  fs.writeFileSync(path.join(workspace, 'src', 'hello.ts'), 'export const hello = "world";\n');
  return { workspace, stateRoot: path.join(base, 'state') };
}

export async function startKernel(
  runtime: 'docker' | 'podman',
  opts: { workspace: string; stateRoot: string; policiesDir?: string },
): Promise<KernelSupervisor> {
  return KernelSupervisor.start({ ...opts, runtime, maxRestarts: 5 });
}

/** Stops and removes the test's kernel container, its sandboxes and their volumes, and its outputs volume so runs do
 * not accumulate them (a kernel removed by force leaves its warm pools running). */
export async function removeKernel(sup: KernelSupervisor): Promise<void> {
  const name = `airlock-kernel-${sup.paths.id}`;
  sup.dispose();
  await sup.engine.docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);
  await removeHeldBy(name, sup.engine.docker).catch(() => undefined);
  await sup.engine.docker
    .getVolume(`airlock-outputs-${sup.paths.id}`)
    .remove()
    .catch(() => undefined);
}
