// Orphan sweep: removes Airlock containers and volumes whose holder is gone or whose deadline has passed.
import { holderLiveness } from './holder';
import { LABEL, OWNER_VALUE, type IContainerRuntime } from './types';

export interface SweepResult {
  containers: string[];
  volumes: string[];
}

/** `keep` protects what the caller itself tracks. Holders that cannot be judged (another pid namespace) are left
 * alone unless their deadline has passed. */
export async function sweepOrphans(
  runtime: IContainerRuntime,
  keep: (id: string) => boolean = () => false,
  now = Date.now(),
): Promise<SweepResult> {
  const out: SweepResult = { containers: [], volumes: [] };
  const verdicts = new Map<string, Promise<string>>();
  const liveness = (h: string | undefined) => {
    const k = h ?? '';
    if (!verdicts.has(k)) verdicts.set(k, holderLiveness(h, runtime));
    return verdicts.get(k)!;
  };
  for (const c of await runtime.listContainers({ [LABEL.owner]: OWNER_VALUE })) {
    // Only what a sandbox manager made (it always writes a holder): never the kernel container or state volumes.
    if (keep(c.id) || !c.labels[LABEL.holder] || c.labels[LABEL.role] === 'kernel') continue;
    const deadline = Number(c.labels[LABEL.deadline] ?? Infinity);
    if (deadline < now || (await liveness(c.labels[LABEL.holder])) === 'dead') {
      await runtime.remove(c.id);
      out.containers.push(c.id);
    }
  }
  for (const v of await runtime.listVolumes({ [LABEL.owner]: OWNER_VALUE })) {
    if (keep(v.name) || !v.labels[LABEL.holder] || v.labels[LABEL.role] === 'state') continue;
    if ((await liveness(v.labels[LABEL.holder])) !== 'dead') continue;
    try {
      await runtime.removeVolume(v.name);
      out.volumes.push(v.name);
    } catch {
      /* still mounted by a live container */
    }
  }
  return out;
}
