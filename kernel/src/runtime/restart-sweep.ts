// After a kernel restart in the same container (a crash, a SIGKILL, an OOM kill, an engine restart): removes what the
// previous run made — sandboxes, scratch volumes and task output volumes. Their holder label names the container, which
// runs again, so the orphan sweep (sweeper.ts) would judge them alive and keep them until their deadline, or forever.
import { BOOT_ID } from './holder';
import type { SweepResult } from './sweeper';
import { LABEL, OWNER_VALUE, type IContainerRuntime } from './types';

/** `self`: this run's holder and sandbox manager session. A `pid:` holder is already unique per process: nothing to do. */
export async function sweepPreviousRun(runtime: IContainerRuntime, self: { holder: string; session: string }): Promise<SweepResult> {
  const out: SweepResult = { containers: [], volumes: [] };
  if (!self.holder.startsWith('container:')) return out;
  const mine = { [LABEL.holder]: self.holder };
  for (const c of await runtime.listContainers({ [LABEL.owner]: OWNER_VALUE, ...mine })) {
    if (c.labels[LABEL.role] === 'kernel' || c.labels[LABEL.session] === self.session) continue;
    await runtime.remove(c.id);
    out.containers.push(c.id);
  }
  for (const v of await runtime.listVolumes(mine)) {
    if (v.labels[LABEL.role] === 'state') continue;
    const earlier =
      v.labels['airlock.output'] !== undefined
        ? v.labels['airlock.boot'] !== BOOT_ID
        : v.labels[LABEL.owner] === OWNER_VALUE && v.labels[LABEL.session] !== self.session;
    if (!earlier) continue;
    try {
      await runtime.removeVolume(v.name);
      out.volumes.push(v.name);
    } catch {
      /* still mounted: the orphan sweep retries */
    }
  }
  return out;
}
