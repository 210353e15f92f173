// Images whose installation's folder is gone from this machine (a deleted checkout, an updated extension's old version
// folder), and which of them a living installation still uses: what gc may collect beyond this installation's own.
import type Docker from 'dockerode';
import { IMAGE_FOR_LABEL } from '../../../protocol/src/images';
import { INSTALLATION_ROOT_LABEL } from '../../../protocol/src/node/assets';
import { imageMatches, installationOf, presence, readInstallations, type RecordedInstallation } from './installations';

/** An image's kind for "newest of each kind": the kernel, or the recipe a sandbox image was built from. */
export function imageKind(labels: Record<string, string> | undefined): string | undefined {
  if (labels?.['airlock.role'] === 'kernel-image') return 'kernel';
  return labels?.[IMAGE_FOR_LABEL] ? `sandbox:${labels[IMAGE_FOR_LABEL]}` : undefined;
}

export interface Orphans {
  /** Image id → the folder of its installation, which no longer exists; no living installation's record claims it. */
  lost: Map<string, string>;
  /** Image id → [its gone installation's folder, the living installation that records using it]. */
  claimed: Map<string, [string, string]>;
  /** The newest image of each kind on the engine, whoever built it: a kernel picks the newest sandbox image of a recipe. */
  newestOnEngine: Set<string>;
  /** Another installation's images made before images recorded their folder: nothing tells whether it still exists. */
  unlabelled: Set<string>;
  /** Records (in this state base) of installations whose folder is gone. */
  goneRecords: RecordedInstallation[];
}

export interface OrphanOptions {
  stateBase: string;
  installation: string;
  local: boolean;
  /** Whose folders this process may judge: its own uid's, or everyone's as root. */
  uid: number;
}

/** Only on a local engine (a remote engine's labels name another machine's folders), and only folders this uid can
 * judge: another user's folder it cannot read would look gone. */
export function findOrphans(images: Docker.ImageInfo[], o: OrphanOptions): Orphans {
  const out: Orphans = { lost: new Map(), claimed: new Map(), newestOnEngine: new Set(), unlabelled: new Set(), goneRecords: [] };
  const records = readInstallations(o.stateBase);
  out.goneRecords = records.filter((r) => r.state === 'gone');
  if (!o.local) return out;
  const living = records.filter((r) => r.state !== 'gone');
  const newest = new Map<string, Docker.ImageInfo>();
  for (const i of images) {
    const k = imageKind(i.Labels);
    if (k && (!newest.has(k) || newest.get(k)!.Created < i.Created)) newest.set(k, i);
  }
  for (const i of newest.values()) out.newestOnEngine.add(i.Id);
  for (const i of images) {
    const inst = installationOf(i.Labels);
    if (!imageKind(i.Labels) || i.Labels?.['airlock.installation'] === o.installation) continue;
    if (!inst) {
      if (!i.Labels?.[INSTALLATION_ROOT_LABEL]) out.unlabelled.add(i.Id);
      continue;
    }
    if ((inst.uid !== o.uid && o.uid !== 0) || presence(inst.root) !== 'gone') continue;
    const user = living.find((r) => imageMatches(i, r.images));
    if (user) out.claimed.set(i.Id, [inst.root, user.root]);
    else out.lost.set(i.Id, inst.root);
  }
  return out;
}
