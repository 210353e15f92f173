// What `airlock gc` (and bootstrap's start-up sweep) removes: this installation's leftovers, never what runs or is another's.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { INSTALLATION_LABEL } from '../../../protocol/src/node/assets';
import { IMAGE_FOR_LABEL } from '../../../protocol/src/images';
import { folderBytes, readWorkspaceRecord, STATE_FOLDER } from './record';

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
  /** This installation (protocol/src/node/assets.ts installationId): only its images, and what was made from them. */
  installation: string;
  /** Also the newest unused image of each kind (the next start builds it again). */
  allVersions?: boolean;
  /** A local engine: its labels name workspace folders of this machine (on a remote engine they may be another's). */
  local: boolean;
  /** Images built within this long are kept (the start-up sweep: another start may be about to use one). */
  imageGraceMs?: number;
  now?: number;
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

/** An image's kind for "newest of each kind": the kernel, or the recipe a sandbox image was built from. */
function imageKind(labels: Record<string, string> | undefined): string | undefined {
  if (labels?.['airlock.role'] === 'kernel-image') return 'kernel';
  return labels?.[IMAGE_FOR_LABEL] ? `sandbox:${labels[IMAGE_FOR_LABEL]}` : undefined;
}

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

  // --- containers: stopped kernels of deleted workspaces or older images; sandboxes whose kernel is not running ---
  for (const c of all.filter((x) => x.Labels?.['airlock.owner'] === 'airlock')) {
    if (!mine.has(c.ImageID)) continue; // another installation's (or a custom image's): never touched
    const item = { kind: 'container' as const, id: c.Id, name: name(c) };
    const holder = c.Labels['airlock.holder'];
    if (c.Labels['airlock.role'] === 'kernel') {
      if (c.State === 'running') {
        kept.push({ ...item, reason: 'running' });
        continue;
      }
      const ws = c.Labels['airlock.workspace'];
      if (o.local && ws && !isDir(ws)) remove.push({ ...item, reason: `its workspace ${ws} no longer exists` });
      else if (!newestIds.has(c.ImageID)) remove.push({ ...item, reason: 'a stopped kernel made from an older kernel image' });
    } else if (holder?.startsWith('container:') && !running.has(holder.slice('container:'.length))) {
      remove.push({ ...item, reason: `its kernel (${holder.slice('container:'.length)}) is not running`, force: true });
    }
  }
  const gone = new Set(remove.map((r) => r.id));
  const live = all.filter((c) => !gone.has(c.Id));

  // --- volumes: scratch volumes of kernels not running; outputs/remote volumes of deleted workspaces (local engines) ---
  const used = new Set(live.flatMap((c) => (c.Mounts ?? []).map((m) => m.Name).filter((n): n is string => !!n)));
  for (const v of vols.Volumes ?? []) {
    const item = { kind: 'volume' as const, id: v.Name, name: v.Name };
    if (used.has(v.Name)) continue;
    const l = v.Labels ?? {};
    const holder = l['airlock.holder'];
    if (holder?.startsWith('container:')) {
      const k = holder.slice('container:'.length);
      // A stopped kernel of another installation keeps its volumes (its own sweep collects them); a missing one holds nothing.
      const owner = all.find((c) => c.Id === k || (c.Names ?? []).includes(`/${k}`));
      if (!running.has(k) && (!owner || mine.has(owner.ImageID))) remove.push({ ...item, reason: `its kernel (${k}) is not running` });
    } else if (l['airlock.workspace'] && o.local && !isDir(l['airlock.workspace'])) {
      remove.push({ ...item, reason: `its workspace ${l['airlock.workspace']} no longer exists` });
    }
  }

  // --- images: this installation's, unused, not the newest of their kind (unless allVersions) ---
  const inUse = new Set(live.map((c) => c.ImageID));
  for (const i of mine.values()) {
    const item = {
      kind: 'image' as const,
      id: i.Id,
      name: (i.RepoTags ?? []).find((t) => t !== '<none>:<none>') ?? i.Id.slice(7, 19),
      bytes: i.Size,
    };
    if (!imageKind(i.Labels)) continue;
    if (inUse.has(i.Id)) kept.push({ ...item, reason: 'in use by a container' });
    else if ((o.now ?? Date.now()) - i.Created * 1000 < (o.imageGraceMs ?? 0)) kept.push({ ...item, reason: 'built recently' });
    else if (newestIds.has(i.Id) && !o.allVersions)
      kept.push({ ...item, reason: 'the newest of its kind (--all-versions removes it too)' });
    else remove.push({ ...item, reason: newestIds.has(i.Id) ? 'unused (--all-versions)' : 'an older version, unused' });
  }

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
  return { remove, kept };
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
