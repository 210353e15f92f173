// The images Airlock uses (kernel, sandbox-node, code-executor): prepare them, list them, prune this installation's
// unused ones. Shared by `airlock images` and the extension's Airlock: Prepare Images (no tsx, no checkout needed).
import { AirlockError } from '../../protocol/src/errors';
import {
  IMAGE_FOR_LABEL,
  type ImageKind,
  ImageRecipe,
  KERNEL_IMAGE_ROLE,
  RECIPE_IMAGE,
  type TemplateImageFields,
} from '../../protocol/src/images';
import { INSTALLATION_LABEL, installationId } from '../../protocol/src/node/assets';
import { ensureNodeImage, type Progress } from './node-rootfs';
import { ensureSandboxImages, templateImages } from './sandbox-images';
import { ensureDockerfileImage, imageSource, type ImageSource } from './dockerfile-images';
import { pullImages, type RegistrySource } from './registry-prepare';
import { kernelImageSpec } from './kernel-image';
import type { Engine } from '../../core/src/engine/detect';

export interface PrepareOptions {
  /** AIRLOCK_KERNEL_IMAGE: an image of the person's own, used as it is (not built). */
  kernelImage?: string;
  /** Skip the kernel image (the extension prepares sandbox images for a kernel that already runs). */
  sandboxesOnly?: boolean;
  templates?: Iterable<TemplateImageFields>;
  installation?: string;
  progress?: Progress;
  signal?: AbortSignal;
  /** Pull every image by digest from this registry's manifest instead of building (a failure never falls back). */
  registry?: RegistrySource;
  /** Where AIRLOCK_IMAGE_REGISTRY / AIRLOCK_IMAGE_BASE are read when no registry is given (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface PreparedImage {
  kind: ImageKind;
  ref: string;
}

/** Builds (or finds, by content hash) the kernel image and every sandbox template's image, one after the other. */
export async function prepareImages(engine: Engine, o: PrepareOptions = {}): Promise<PreparedImage[]> {
  const progress = o.progress ?? (() => {});
  const out: PreparedImage[] = [];
  // Under Electron this is a registry or the Dockerfiles, never the offline builder (dockerfile-images.ts).
  const source: ImageSource = o.registry ? { type: 'registry', source: o.registry } : imageSource({ env: o.env });
  if (source.type === 'registry') {
    if (o.kernelImage && !o.sandboxesOnly) out.push({ kind: 'kernel', ref: o.kernelImage });
    return [
      ...out,
      ...(await pullImages(engine.docker, {
        source: source.source,
        sandboxesOnly: o.sandboxesOnly || !!o.kernelImage,
        templates: o.templates,
        progress,
        signal: o.signal,
      })),
    ];
  }
  if (source.type === 'dockerfile') return prepareFromDockerfiles(engine, source.base, o);
  if (!o.sandboxesOnly) {
    progress('[kernel] finding or building the kernel image');
    const ref =
      o.kernelImage ??
      (await ensureNodeImage(
        engine.docker,
        { ...kernelImageSpec(), installation: o.installation },
        (l) => progress(`[kernel] ${l}`),
        o.signal,
      ));
    out.push({ kind: 'kernel', ref });
    progress(`[kernel] ready: ${ref}`);
  }
  o.signal?.throwIfAborted();
  const built = await ensureSandboxImages({
    engine: engine.kind,
    socketPath: engine.socket,
    templates: o.templates,
    installation: o.installation,
    onProgress: progress,
    signal: o.signal,
  });
  for (const [recipe, ref] of built) {
    out.push({ kind: RECIPE_IMAGE[recipe], ref });
    progress(`[${RECIPE_IMAGE[recipe]}] ready: ${ref}`);
  }
  return out;
}

/** The kernel and each template recipe's image, built by the engine from templates/docker FROM `base`. */
async function prepareFromDockerfiles(engine: Engine, base: string, o: PrepareOptions): Promise<PreparedImage[]> {
  const kinds: ImageKind[] = o.sandboxesOnly || o.kernelImage ? [] : ['kernel'];
  const templates = [...(o.templates ?? templateImages())];
  for (const r of new Set(templates.filter((t) => !t.image).map((t) => t.build))) kinds.push(RECIPE_IMAGE[r]);
  const out: PreparedImage[] = o.kernelImage && !o.sandboxesOnly ? [{ kind: 'kernel', ref: o.kernelImage }] : [];
  for (const kind of kinds) {
    o.signal?.throwIfAborted();
    const ref = await ensureDockerfileImage(engine.docker, kind, {
      base,
      installation: o.installation,
      progress: o.progress,
      signal: o.signal,
    });
    out.push({ kind, ref });
    o.progress?.(`[${kind}] ready: ${ref}`);
  }
  return out;
}

export interface ImageInfo {
  kind: ImageKind;
  id: string;
  tags: string[];
  size: number;
  /** Unix seconds. */
  created: number;
  installation: string | undefined;
  /** This installation built it (only those are pruned). */
  mine: boolean;
  /** Containers (running or not) created from it. */
  containers: number;
}

/** What an image is to Airlock, from its labels; undefined for images Airlock did not build for itself. */
export function imageKind(labels: Record<string, string> | undefined): ImageKind | undefined {
  if (labels?.['airlock.role'] === KERNEL_IMAGE_ROLE) return 'kernel';
  const recipe = ImageRecipe.safeParse(labels?.[IMAGE_FOR_LABEL]);
  return recipe.success ? RECIPE_IMAGE[recipe.data] : undefined;
}

/** Every kernel and sandbox image on the engine (any installation's), newest first, with the containers using each. */
export async function listImages(engine: Engine, installation = installationId()): Promise<ImageInfo[]> {
  const [images, containers] = await Promise.all([
    engine.docker.listImages({ filters: { label: ['airlock.owner=airlock'] } }),
    engine.docker.listContainers({ all: true }),
  ]).catch((err: Error) => {
    throw new AirlockError('IMAGE_LIST_FAILED', `could not list images on ${engine.kind}: ${err.message}`, `check \`${engine.kind} info\``);
  });
  const used = new Map<string, number>();
  for (const c of containers) used.set(c.ImageID, (used.get(c.ImageID) ?? 0) + 1);
  const out: ImageInfo[] = [];
  for (const img of images) {
    const kind = imageKind(img.Labels ?? undefined);
    if (!kind) continue;
    const owner = img.Labels?.[INSTALLATION_LABEL];
    out.push({
      kind,
      id: img.Id,
      tags: (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
      size: img.Size,
      created: img.Created,
      installation: owner,
      mine: owner === installation,
      containers: used.get(img.Id) ?? 0,
    });
  }
  return out.sort((a, b) => b.created - a.created);
}

export interface PruneResult {
  removed: ImageInfo[];
  kept: ImageInfo[];
}

/** Removes this installation's images that no container uses. The newest of each kind stays unless `all` (it is what
 * the next start would build again); another installation's images and images in use are never touched. */
export async function pruneImages(engine: Engine, o: { all?: boolean; installation?: string } = {}): Promise<PruneResult> {
  const images = await listImages(engine, o.installation ?? installationId());
  const newest = new Set<ImageKind>();
  const removed: ImageInfo[] = [];
  const kept: ImageInfo[] = [];
  for (const img of images) {
    const keepNewest = img.mine && !o.all && !newest.has(img.kind);
    if (img.mine) newest.add(img.kind);
    if (!img.mine || img.containers > 0 || keepNewest) {
      kept.push(img);
      continue;
    }
    try {
      await engine.docker.getImage(img.id).remove({ force: false });
      removed.push(img);
    } catch {
      kept.push(img);
    } // a container made it meanwhile, or it is already gone
  }
  return { removed, kept };
}
