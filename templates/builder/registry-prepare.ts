// `airlock images prepare --from-registry`: every image the installation needs, pulled by digest from the images
// manifest and tagged with the names the product looks for. Asked for a registry, it never builds anything locally.
import { AirlockError } from '../../protocol/src/errors';
import {
  IMAGE_MANIFEST_ENV,
  IMAGE_REGISTRY_ENV,
  type ManifestImage,
  MANIFEST_REPO,
  type TemplateImageFields,
} from '../../protocol/src/images';
import { kernelImageSpec } from './kernel-image';
import { imageTag } from './node-rootfs';
import { defaultManifestPath, kindOf, pullByDigest, readManifest, refFrom, release, type Release } from './registry';
import { templateImages } from './sandbox-images';
import type Docker from 'dockerode';

export interface RegistrySource {
  /** `HOST[:PORT]/PREFIX` to pull from; the manifest's own registry when absent (a mirror holds the same digests). */
  from?: string;
  /** The images manifest (default: the one shipped with Airlock, dist/images.json). */
  manifest?: string;
}

/** The registry the person configured (AIRLOCK_IMAGE_REGISTRY, AIRLOCK_IMAGE_MANIFEST), or undefined: build locally. */
export function registryFromEnv(env: NodeJS.ProcessEnv = process.env): RegistrySource | undefined {
  const from = env[IMAGE_REGISTRY_ENV]?.trim();
  const manifest = env[IMAGE_MANIFEST_ENV]?.trim();
  return from || manifest ? { from: from || undefined, manifest: manifest || undefined } : undefined;
}

export interface PullOptions {
  source: RegistrySource;
  sandboxesOnly?: boolean;
  templates?: Iterable<TemplateImageFields>;
  release?: Release;
  /** Tag the kernel as this installation's build would be tagged (bootstrap finds it there); default: computed. */
  kernelTag?: () => string;
  progress?: (line: string) => void;
  signal?: AbortSignal;
}

/** The tag bootstrap looks for (this installation's kernel input hash), or undefined when it cannot be computed here
 * (no kernel bundle, no Node.js to hash): the image then keeps only its release tag. */
function localKernelTag(progress: (l: string) => void): string | undefined {
  try {
    return imageTag(kernelImageSpec());
  } catch (err) {
    progress(`[kernel] not tagged for this installation's bootstrap (${(err as Error).message}); use AIRLOCK_KERNEL_IMAGE`);
    return undefined;
  }
}

export async function pullImages(docker: Docker, o: PullOptions): Promise<Array<{ kind: ReturnType<typeof kindOf>; ref: string }>> {
  const progress = o.progress ?? (() => {});
  const current = o.release ?? release();
  const file = o.source.manifest ?? defaultManifestPath();
  const manifest = readManifest(file, current);
  if (manifest.airlock.commit && current.commit && manifest.airlock.commit !== current.commit) {
    progress(
      `note: the manifest was published from commit ${manifest.airlock.commit.slice(0, 12)}, this is ${current.commit.slice(0, 12)} (same version ${current.version})`,
    );
  }
  const wanted: ManifestImage[] = o.sandboxesOnly ? [] : ['kernel'];
  const templates = [...(o.templates ?? templateImages())];
  for (const r of new Set(templates.filter((t) => !t.image).map((t) => t.build))) wanted.push(r);
  const out: Array<{ kind: ReturnType<typeof kindOf>; ref: string }> = [];
  for (const name of wanted) {
    o.signal?.throwIfAborted();
    const kind = kindOf(name);
    const ref = refFrom(manifest, name, o.source.from);
    progress(`[${kind}] pulling ${ref}`);
    const id = await pullByDigest(docker, name, ref, (l) => progress(`[${kind}] ${l}`), o.signal);
    const digest = ref.split('@')[1];
    // Local names: the release's (never pushed anywhere), and for the kernel the tag bootstrap computes.
    const tags = [
      `localhost/airlock/${MANIFEST_REPO[name]}:${name === 'kernel' ? `release-${current.version}` : `registry-${digest.slice(7, 19)}`}`,
    ];
    if (name === 'kernel') {
      const t = o.kernelTag ? o.kernelTag() : localKernelTag(progress);
      if (t) tags.unshift(t);
    }
    for (const t of tags) {
      const i = t.lastIndexOf(':');
      await docker
        .getImage(id)
        .tag({ repo: t.slice(0, i), tag: t.slice(i + 1) })
        .catch((err: Error) => {
          throw new AirlockError('IMAGE_TAG_FAILED', `tagging ${ref} as ${t}: ${err.message}`, 'check the engine log');
        });
    }
    out.push({ kind, ref: tags[0] });
    progress(`[${kind}] ${ref} verified, tagged ${tags.join(', ')}`);
  }
  return out;
}

/** The kernel image a start uses when a registry is configured: already pulled (found by its digest), else pulled now;
 * its digest reference is the image name, so every start names the same image. */
export async function registryKernelImage(
  docker: Docker,
  source: RegistrySource,
  progress: (l: string) => void = () => {},
  signal?: AbortSignal,
): Promise<string> {
  const manifest = readManifest(source.manifest ?? defaultManifestPath(), release());
  const ref = refFrom(manifest, 'kernel', source.from);
  const here = await docker
    .getImage(ref)
    .inspect()
    .catch(() => undefined);
  if (!here) {
    progress(`[kernel] pulling ${ref}`);
    await pullByDigest(docker, 'kernel', ref, (l) => progress(`[kernel] ${l}`), signal);
  }
  return ref;
}
