// What `airlock gc` (and bootstrap's start-up sweep) removes: this installation's leftovers and those of installations
// whose folder is gone from this machine; never what runs or is in use, never a living installation's.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { INSTALLATION_LABEL } from '../../../protocol/src/node/assets';
import { folderBytes, readWorkspaceRecord, STATE_FOLDER } from './record';
import { findOrphans, imageKind } from './orphans';

export type GcKind = 'container' | 'volume' | 'image' | 'state';
export interface GcItem {
  kind: GcKind;
  id: string;
  name: string;
  reason: string;
  bytes?: number;
  /** A sandbox still running for no kernel. */
  force?: boolean;
}
export interface GcPlan {
  remove: GcItem[];
  /** Things gc looked at and left, with why (not the ones plainly in use). */ kept: GcItem[];
}

export interface GcOptions {
  /** The folder holding every workspace's `ws-<id>` state folder. */
  stateBase: string;
  /** This installation (protocol/src/node/assets.ts installationId): its images, and what was made from them; others'
   * only when their installation's folder is gone (core/src/gc/orphans.ts). */
  installation: string;
  /** Also the newest unused image of each kind (the next start builds it again). */
  allVersions?: boolean;
  /** A local engine: its labels name workspace folders of this machine (on a remote engine they may be another's). */
  local: boolean;
  /** Images built within this long are kept (the start-up sweep: another start may be about to use one). */
  imageGraceMs?: number;
  /** An outputs volume no kernel container uses is removed once it is this old (default an hour: a start in progress
   * creates the volume just before its kernel). */
  volumeGraceMs?: number;
  now?: number;
  /** Whose installation folders gc may judge (default this process's uid; root judges everyone's). */
  uid?: number;
}

const OWNED = { label: ['airlock.owner=airlock'] };
const isDir = (p: string | undefined) => {
  try {
    return !!p && fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
};
const kernelName = (id: string) => `airlock-kernel-${id}`;
const imageName = (i: Docker.ImageInfo) => (i.RepoTags ?? []).find((t) => t !== '<none>:<none>') ?? i.Id.slice(7, 19);

const OUTPUTS_VOLUME = /^airlock-outputs-([0-9a-f]{12})$/;
const HOUR = 3_600_000;

export async function planGc(docker: Docker, o: GcOptions): Promise<GcPlan> {
  const [images, all, vols] = await Promise.all([
    docker.listImages({ filters: OWNED }),
    docker.listContainers({ all: true }),
    docker.listVolumes({ filters: OWNED }),
  ]);
  const remove: GcItem[] = [];
  const kept: GcItem[] = [];
  const mine = new Map(images.filter((i) => i.Labels?.[INSTALLATION_LABEL] === o.installation).map((i) => [i.Id, i]));
  const newest = new Map<string, Docker.ImageInfo>();
  for (const i of mine.values()) {
    const k = imageKind(i.Labels);
    if (k && (!newest.has(k) || newest.get(k)!.Created < i.Created)) newest.set(k, i);
  }
  const newestIds = new Set([...newest.values()].map((i) => i.Id));
  const running = new Set(
    all.filter((c) => c.State === 'running').flatMap((c) => [c.Id, ...(c.Names ?? []).map((n) => n.replace(/^\//, ''))]),
  );
  const name = (c: Docker.ContainerInfo) => (c.Names?.[0] ?? c.Id).replace(/^\//, '');
  const byName = (n: string) => all.find((c) => c.Id === n || (c.Names ?? []).includes(`/${n}`));
  const now = o.now ?? Date.now();
  const orphans = findOrphans(images, { ...o, uid: o.uid ?? process.getuid?.() ?? 0 });
  const gone = (imageId: string | undefined) => (imageId ? orphans.lost.get(imageId) : undefined);

  // --- containers: stopped kernels of deleted workspaces, older images or gone installations; sandboxes whose kernel
  // is not running ---
  for (const c of all.filter((x) => x.Labels?.['airlock.owner'] === 'airlock')) {
    const lost = gone(c.ImageID);
    const holder = c.Labels['airlock.holder']?.startsWith('container:') ? c.Labels['airlock.holder'].slice('container:'.length) : undefined;
    const kernel = holder ? byName(holder) : undefined;
    const lostKernel = gone(kernel?.ImageID);
    // Another living installation's (or a custom image's), and not held by a kernel of ours: never touched.
    if (!mine.has(c.ImageID) && !lost && !(kernel && mine.has(kernel.ImageID)) && !lostKernel) continue;
    const item = { kind: 'container' as const, id: c.Id, name: name(c) };
    if (c.Labels['airlock.role'] === 'kernel') {
      if (c.State === 'running') {
        if (mine.has(c.ImageID)) kept.push({ ...item, reason: 'running' });
        else if (lost) kept.push({ ...item, reason: `its installation ${lost} no longer exists, but it is running` });
        continue;
      }
      const ws = c.Labels['airlock.workspace'];
      if (lost) remove.push({ ...item, reason: `a stopped kernel: its installation ${lost} no longer exists` });
      else if (o.local && ws && !isDir(ws)) remove.push({ ...item, reason: `its workspace ${ws} no longer exists` });
      else if (!newestIds.has(c.ImageID)) remove.push({ ...item, reason: 'a stopped kernel made from an older kernel image' });
    } else if (holder && !running.has(holder)) {
      const why = lostKernel ?? lost;
      const reason = `its kernel (${holder}) is not running${why ? ` and its installation ${why} no longer exists` : ''}`;
      remove.push({ ...item, reason, force: true });
    }
  }
  const removed = new Set(remove.map((r) => r.id));
  const live = all.filter((c) => !removed.has(c.Id));

  // --- volumes: scratch volumes of kernels not running; outputs/remote volumes of deleted workspaces, outputs volumes
  // no kernel is left to use (local engines) ---
  const used = new Set(live.flatMap((c) => (c.Mounts ?? []).map((m) => m.Name).filter((n): n is string => !!n)));
  for (const v of vols.Volumes ?? []) {
    const item = { kind: 'volume' as const, id: v.Name, name: v.Name };
    if (used.has(v.Name)) continue;
    const l = v.Labels ?? {};
    const holder = l['airlock.holder'];
    if (holder?.startsWith('container:')) {
      const k = holder.slice('container:'.length);
      // A stopped kernel of another living installation keeps its volumes (its own sweep collects them); a missing one
      // holds nothing.
      const owner = byName(k);
      const lost = gone(owner?.ImageID);
      if (!running.has(k) && (!owner || mine.has(owner.ImageID) || lost))
        remove.push({ ...item, reason: `its kernel (${k}) is not running${lost ? ` and its installation ${lost} no longer exists` : ''}` });
    } else if (l['airlock.workspace'] && o.local && !isDir(l['airlock.workspace'])) {
      remove.push({ ...item, reason: `its workspace ${l['airlock.workspace']} no longer exists` });
    } else if (o.local && l['airlock.role'] === 'outputs' && OUTPUTS_VOLUME.test(v.Name)) {
      // A tmpfs: it holds files only while its kernel runs, and the next start makes it again.
      const k = `airlock-kernel-${OUTPUTS_VOLUME.exec(v.Name)![1]}`;
      const kc = byName(k);
      const created = Date.parse((v as { CreatedAt?: string }).CreatedAt ?? '');
      if (kc && removed.has(kc.Id)) remove.push({ ...item, reason: `its kernel (${k}) is removed too` });
      else if (!kc && now - created >= (o.volumeGraceMs ?? HOUR))
        remove.push({ ...item, reason: `no kernel container (${k}) is left to use it` });
    }
  }

  // --- images: this installation's, unused, not the newest of their kind (unless allVersions) ---
  const inUse = new Set(live.map((c) => c.ImageID));
  for (const i of mine.values()) {
    const item = { kind: 'image' as const, id: i.Id, name: imageName(i), bytes: i.Size };
    if (!imageKind(i.Labels)) continue;
    if (inUse.has(i.Id)) kept.push({ ...item, reason: 'in use by a container' });
    else if (now - i.Created * 1000 < (o.imageGraceMs ?? 0)) kept.push({ ...item, reason: 'built recently' });
    else if (newestIds.has(i.Id) && !o.allVersions)
      kept.push({ ...item, reason: 'the newest of its kind (--all-versions removes it too)' });
    else remove.push({ ...item, reason: newestIds.has(i.Id) ? 'unused (--all-versions)' : 'an older version, unused' });
  }

  planOrphanImages(images, orphans, inUse, { ...o, now }, remove, kept);

  // --- state folders of workspaces that no longer exist, unless their kernel runs ---
  for (const d of fs.existsSync(o.stateBase) ? fs.readdirSync(o.stateBase) : []) {
    const m = STATE_FOLDER.exec(d);
    if (!m) continue;
    const root = path.join(o.stateBase, d);
    const item = { kind: 'state' as const, id: root, name: d };
    const rec = readWorkspaceRecord(root);
    if (!rec) {
      kept.push({ ...item, reason: 'it does not record its workspace (made by an older version; remove it by hand if unused)' });
      continue;
    }
    if (isDir(rec.path)) continue;
    if (running.has(kernelName(m[1]))) {
      kept.push({ ...item, reason: `its workspace ${rec.path} is gone but its kernel is running` });
      continue;
    }
    remove.push({ ...item, reason: `its workspace ${rec.path} no longer exists`, bytes: folderBytes(root) });
  }
  for (const r of orphans.goneRecords)
    remove.push({ kind: 'state', id: r.file, name: path.basename(r.file), reason: `its installation ${r.root} no longer exists` });
  return { remove, kept };
}

/** Images of installations whose folder is gone: removed once unused, unclaimed and not the newest of their kind. */
function planOrphanImages(
  images: Docker.ImageInfo[],
  orphans: ReturnType<typeof findOrphans>,
  inUse: Set<string>,
  o: GcOptions & { now: number },
  remove: GcItem[],
  kept: GcItem[],
): void {
  for (const i of images) {
    const item = { kind: 'image' as const, id: i.Id, name: imageName(i), bytes: i.Size };
    const lost = orphans.lost.get(i.Id);
    const claim = orphans.claimed.get(i.Id);
    if (orphans.unlabelled.has(i.Id) && !inUse.has(i.Id))
      kept.push({ ...item, reason: "another installation's, made by an older version: it does not record its folder (remove it by hand)" });
    else if (claim) kept.push({ ...item, reason: `its installation ${claim[0]} no longer exists, but the one at ${claim[1]} uses it` });
    else if (!lost) continue;
    else if (inUse.has(i.Id)) kept.push({ ...item, reason: `its installation ${lost} no longer exists, but a container uses it` });
    else if (orphans.newestOnEngine.has(i.Id))
      kept.push({ ...item, reason: `its installation ${lost} no longer exists, but it is the newest of its kind (kernels pick that one)` });
    else if (o.now - i.Created * 1000 < (o.imageGraceMs ?? 0)) kept.push({ ...item, reason: 'built recently' });
    else remove.push({ ...item, reason: `its installation ${lost} no longer exists` });
  }
}

export interface GcResult {
  removed: GcItem[];
  failed: (GcItem & { error: string })[];
}

/** Removes in order (containers, then the volumes and images they held, then state); a failure is reported, not fatal. */
export async function applyGc(docker: Docker, plan: GcPlan): Promise<GcResult> {
  const out: GcResult = { removed: [], failed: [] };
  const order: GcKind[] = ['container', 'volume', 'image', 'state'];
  for (const kind of order) {
    for (const it of plan.remove.filter((r) => r.kind === kind)) {
      try {
        if (kind === 'container') await docker.getContainer(it.id).remove({ force: !!it.force, v: false });
        else if (kind === 'volume') await docker.getVolume(it.id).remove();
        else if (kind === 'image') await docker.getImage(it.id).remove({ force: false });
        else fs.rmSync(it.id, { recursive: true, force: true });
        out.removed.push(it);
      } catch (e) {
        out.failed.push({ ...it, error: (e as Error).message });
      }
    }
  }
  return out;
}
