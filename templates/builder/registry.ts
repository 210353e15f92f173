// Images from a registry: publish the prepared images (tag per recipe hash) and write the images manifest; pull them
// back by digest only, verify what arrived, and tag it with the names the product looks for. Never builds.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { followEngine } from './follow';
import { AirlockError } from '../../protocol/src/errors';
import {
  IMAGE_FOR_LABEL,
  type ImageKind,
  ImagesManifest,
  KERNEL_IMAGE_ROLE,
  MANIFEST_REPO,
  type ManifestImage,
  RECIPE_IMAGE,
  RegistryPrefix,
} from '../../protocol/src/images';
import { assets } from '../../protocol/src/node/assets';

export interface Release {
  version: string;
  commit?: string;
}
export interface RegistryImage {
  kind: ImageKind;
  ref: string;
}
type Progress = (line: string) => void;
type Stream = Array<{ error?: string; status?: string; aux?: { Digest?: string } }>;

const MANIFEST_OF: Record<ImageKind, ManifestImage> = { kernel: 'kernel', 'sandbox-node': 'node', 'code-executor': 'debian' };
export const kindOf = (m: ManifestImage): ImageKind => (m === 'kernel' ? 'kernel' : RECIPE_IMAGE[m]);
/** The most a manifest file may be (it names three images). */
const MAX_MANIFEST_BYTES = 64 * 1024;

/** This installation's version (package.json) and, in a checkout, its commit. */
export function release(root = assets().root): Release {
  const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  let commit: string | undefined;
  try {
    if (fs.existsSync(path.join(root, '.git')))
      commit = execFileSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    /* not a checkout git can read: the version alone identifies it */
  }
  return { version, ...(commit ? { commit } : {}) };
}

/** The manifest a release ships beside its bundles. */
export function defaultManifestPath(root = assets().root): string {
  return path.join(root, 'dist', 'images.json');
}

export function parseRegistry(value: string): string {
  const r = RegistryPrefix.safeParse(value.replace(/\/+$/, ''));
  if (!r.success)
    throw new AirlockError(
      'IMAGE_REGISTRY_INVALID',
      `${JSON.stringify(value)} is not a registry: ${r.error.issues[0].message}`,
      'pass HOST[:PORT]/PREFIX, e.g. --registry 127.0.0.1:5000/airlock',
    );
  return r.data;
}

/** Pushes and pulls to their end; each progress message checks for a cancel (a long layer is cut at its next message). */
const follow = (docker: Docker, stream: NodeJS.ReadableStream, signal?: AbortSignal): Promise<Stream> =>
  followEngine<Stream[number]>(docker, stream, { signal, onEvent: () => signal?.throwIfAborted() });

/** Engine and registry failures as errors that say which of the usual causes it is. */
export function registryError(what: string, ref: string, message: string): AirlockError {
  const host = ref.split('/')[0];
  if (/connection refused|no such host|i\/o timeout|dial tcp|network is unreachable|server gave HTTP response|EOF/i.test(message)) {
    return new AirlockError(
      'IMAGE_REGISTRY_UNREACHABLE',
      `${what} ${ref}: the registry ${host} does not answer (${message.slice(0, 300)})`,
      `check that the registry runs and is reachable from the engine (\`curl http://${host}/v2/\`); a registry other than loopback must be ` +
        "in the engine's trusted registries (Docker: insecure-registries or TLS; Podman: registries.conf)",
    );
  }
  if (/manifest unknown|not found|does not exist|unknown blob|name unknown/i.test(message)) {
    return new AirlockError(
      'IMAGE_NOT_IN_REGISTRY',
      `${what} ${ref}: the registry has no such image (${message.slice(0, 300)})`,
      'the manifest names a digest this registry does not hold: it was published to another registry, or the manifest was altered',
    );
  }
  if (/digest|verif/i.test(message)) {
    return new AirlockError(
      'IMAGE_DIGEST_MISMATCH',
      `${what} ${ref}: ${message.slice(0, 300)}`,
      "the registry served content that does not match the manifest's digest: do not use it",
    );
  }
  return new AirlockError('IMAGE_PULL_FAILED', `${what} ${ref} failed: ${message.slice(0, 300)}`, 'check the engine and registry logs');
}

function repoAndTag(ref: string): { repo: string; tag: string } {
  const i = ref.lastIndexOf(':');
  if (i <= ref.lastIndexOf('/')) return { repo: ref, tag: 'latest' };
  return { repo: ref.slice(0, i), tag: ref.slice(i + 1) };
}

/** Pushes `repo:tag` (already tagged locally) and returns the digest the registry stored it under. */
export async function pushTag(docker: Docker, repo: string, tag: string, signal?: AbortSignal): Promise<string> {
  let out: Stream;
  try {
    const stream = (await docker.getImage(repo).push({ tag, authconfig: {}, abortSignal: signal })) as unknown as NodeJS.ReadableStream;
    out = await follow(docker, stream, signal);
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw registryError('pushing', `${repo}:${tag}`, (err as Error).message);
  }
  const failed = out.find((e) => e.error)?.error;
  if (failed) throw registryError('pushing', `${repo}:${tag}`, failed);
  const digest = out.map((e) => e.aux?.Digest).find((d) => d && /^sha256:[0-9a-f]{64}$/.test(d));
  if (!digest) throw new AirlockError('IMAGE_PUSH_FAILED', `pushing ${repo}:${tag} reported no digest`, 'check the registry log');
  return digest;
}

/** Pushes each prepared image to `registry/<kind repo>:<its local tag>` (the recipe's content hash) and returns the
 * manifest naming each by digest. */
export async function publishImages(
  docker: Docker,
  o: { registry: string; images: RegistryImage[]; release: Release; progress?: Progress; signal?: AbortSignal },
): Promise<ImagesManifest> {
  const registry = parseRegistry(o.registry);
  const progress = o.progress ?? (() => {});
  const images: Partial<Record<ManifestImage, string>> = {};
  for (const img of o.images) {
    o.signal?.throwIfAborted();
    const name = MANIFEST_OF[img.kind];
    const repo = `${registry}/${MANIFEST_REPO[name]}`;
    const { tag } = repoAndTag(img.ref);
    progress(`[${img.kind}] pushing ${img.ref} as ${repo}:${tag}`);
    await docker.getImage(img.ref).tag({ repo, tag });
    const digest = await pushTag(docker, repo, tag, o.signal);
    images[name] = `${repo}@${digest}`;
    progress(`[${img.kind}] published ${images[name]}`);
  }
  return ImagesManifest.parse({ schema: 1, airlock: o.release, registry, images, created: new Date().toISOString() });
}

/** Reads and validates a manifest, refusing one made for another version of Airlock. */
export function readManifest(file: string, current: Release): ImagesManifest {
  let text: string;
  try {
    if (fs.statSync(file).size > MAX_MANIFEST_BYTES) throw new Error(`larger than ${MAX_MANIFEST_BYTES} bytes`);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new AirlockError(
      'IMAGE_MANIFEST_MISSING',
      `no images manifest at ${file}: ${(err as Error).message}`,
      'pass --manifest FILE (written by `airlock images publish`), or set AIRLOCK_IMAGE_MANIFEST',
    );
  }
  let parsed: ImagesManifest;
  try {
    parsed = ImagesManifest.parse(JSON.parse(text));
  } catch (err) {
    const issues = (err as { issues?: Array<{ path: PropertyKey[]; message: string }> }).issues;
    const why = issues ? issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (err as Error).message;
    throw new AirlockError(
      'IMAGE_MANIFEST_INVALID',
      `${file} is not a valid images manifest: ${why.slice(0, 500)}`,
      'use the manifest `airlock images publish` wrote, unmodified',
    );
  }
  if (parsed.airlock.version !== current.version) {
    throw new AirlockError(
      'IMAGE_MANIFEST_VERSION',
      `${file} lists the images of Airlock ${parsed.airlock.version}; this is Airlock ${current.version}`,
      `use the manifest published for ${current.version} (\`airlock images publish\` with this version), or prepare the images locally`,
    );
  }
  return parsed;
}

/** The same digest under another registry prefix (a mirror): a digest names the content wherever it is stored. */
export function refFrom(manifest: ImagesManifest, name: ManifestImage, registry?: string): string {
  const ref = manifest.images[name];
  if (!ref)
    throw new AirlockError(
      'IMAGE_MANIFEST_INCOMPLETE',
      `the images manifest has no ${name} image`,
      'publish every image (`airlock images publish`)',
    );
  return registry ? `${parseRegistry(registry)}${ref.slice(manifest.registry.length)}` : ref;
}

/** What a pulled image must say it is (its labels come from its config, which the digest covers). */
function checkLabels(name: ManifestImage, ref: string, labels: Record<string, string> | undefined): void {
  const ok = name === 'kernel' ? labels?.['airlock.role'] === KERNEL_IMAGE_ROLE : labels?.[IMAGE_FOR_LABEL] === name;
  if (!ok || labels?.['airlock.owner'] !== 'airlock') {
    throw new AirlockError(
      'IMAGE_MANIFEST_MISMATCH',
      `${ref} is not Airlock's ${name} image (labels ${JSON.stringify(labels ?? {}).slice(0, 200)})`,
      'the manifest does not match what was published: use the manifest `airlock images publish` wrote, unmodified',
    );
  }
}

/** Pulls one image by digest, checks the engine recorded that very digest and that the image is the one named, and
 * returns its image id. */
export async function pullByDigest(
  docker: Docker,
  name: ManifestImage,
  ref: string,
  progress: Progress,
  signal?: AbortSignal,
): Promise<string> {
  const [repo, digest] = ref.split('@');
  let out: Stream;
  try {
    const stream = (await docker.createImage({
      fromImage: ref,
      authconfig: {},
      abortSignal: signal,
    } as Docker.ImageBuildOptions)) as unknown as NodeJS.ReadableStream;
    let last = '';
    out = await follow(docker, stream, signal);
    for (const e of out) if (e.status && e.status !== last && /Pull complete|Digest|Status/.test(e.status)) progress((last = e.status));
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw registryError('pulling', ref, (err as Error).message);
  }
  const failed = out.find((e) => e.error)?.error;
  if (failed) throw registryError('pulling', ref, failed);
  const info = await docker
    .getImage(ref)
    .inspect()
    .catch((err: Error) => {
      throw registryError('inspecting', ref, err.message);
    });
  // Docker records `repo@digest`; Podman may record the short name: compare the digests of this repository.
  const got = (info.RepoDigests ?? []).filter(
    (d) => d.endsWith(`@${digest}`) && (d.startsWith(`${repo}@`) || repo.endsWith(`/${d.split('@')[0]}`)),
  );
  if (!got.length) {
    throw new AirlockError(
      'IMAGE_DIGEST_MISMATCH',
      `pulled ${ref} but the engine recorded ${JSON.stringify(info.RepoDigests ?? [])}`,
      'the registry served another image than the manifest names: do not use it',
    );
  }
  checkLabels(name, ref, info.Config?.Labels ?? undefined);
  return info.Id;
}
