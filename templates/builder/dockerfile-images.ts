// Where Airlock's images come from — a registry by digest, the engine building templates/docker FROM a pinned base, or
// the offline builder (a developer fallback needing a real Node.js: never under Electron) — and the Dockerfile builds,
// found again by a hash of their inputs so a kernel start does not resend the build context.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { AirlockError } from '../../protocol/src/errors';
import { DigestRef, IMAGE_BASE_ENV, IMAGE_MANIFEST_ENV, IMAGE_REGISTRY_ENV } from '../../protocol/src/images';
import { assets, installationId, installationLabels } from '../../protocol/src/node/assets';
import { buildDockerfile, type DockerfileImage } from './dockerfile-build';
import { hashTree, INPUT_HASH_LABEL, type Progress, pruneOldTags, qualifiedRepo } from './node-rootfs';
import { defaultManifestPath } from './registry';
import { registryFromEnv, type RegistrySource } from './registry-prepare';

/** Label saying an image was built by the engine from a Dockerfile, and FROM which base. */
export const BUILT_FROM_LABEL = 'airlock.built-from';

export type ImageSource = { type: 'registry'; source: RegistrySource } | { type: 'dockerfile'; base: string } | { type: 'offline' };

export interface HostFacts {
  env?: NodeJS.ProcessEnv;
  /** process.versions: `electron` is set in desktop VS Code's extension host. */
  versions?: Record<string, string | undefined>;
  /** The package root (where dist/images.json ships). */
  root?: string;
}

/** A configured base must be pinned by digest: a tag could change under the same name between two builds. */
export function parseBase(value: string): string {
  const r = DigestRef.safeParse(value.trim());
  if (!r.success) {
    throw new AirlockError(
      'IMAGE_BASE_INVALID',
      `${IMAGE_BASE_ENV}=${JSON.stringify(value)} is not an image pinned by digest`,
      'name it as HOST[:PORT]/NAME@sha256:<64 hex digits> (a Node.js 20 Debian base in a registry the engine trusts; docs/install.md)',
    );
  }
  return r.data;
}

/** The registry when one is configured; else Dockerfiles FROM a configured base; else, under Electron, the manifest a
 * release ships (dist/images.json) — and never the offline builder, which would need a Node.js the editor does not have. */
export function imageSource(h: HostFacts = {}): ImageSource {
  const env = h.env ?? process.env;
  const registry = registryFromEnv(env);
  if (registry) return { type: 'registry', source: registry };
  const base = env[IMAGE_BASE_ENV]?.trim();
  if (base) return { type: 'dockerfile', base: parseBase(base) };
  if (!(h.versions ?? process.versions).electron) return { type: 'offline' };
  const manifest = defaultManifestPath(h.root);
  if (fs.existsSync(manifest)) return { type: 'registry', source: { manifest } };
  const shipped = path.relative(h.root ?? assets().root, manifest);
  throw new AirlockError(
    'IMAGE_NO_SOURCE',
    "in desktop VS Code (Electron) Airlock's images come from a registry or are built by the " +
      `engine from its Dockerfiles, and neither is configured (no ${shipped} shipped)`,
    `set ${IMAGE_REGISTRY_ENV} (and ${IMAGE_MANIFEST_ENV}) to pull them by digest, ` +
      `or ${IMAGE_BASE_ENV}=HOST/NAME@sha256:… to build them FROM that base`,
  );
}

const REPO: Record<DockerfileImage, string> = {
  kernel: 'airlock/kernel',
  'sandbox-node': 'airlock/sandbox-node',
  'code-executor': 'airlock/code-executor',
};

/** The context paths a Dockerfile COPYs (sources only; no flags, no multi-source COPY in ours). */
export function copySources(dockerfileText: string): string[] {
  const out: string[] = [];
  for (const line of dockerfileText.split('\n')) {
    const m = /^\s*COPY\s+(\S+)\s+\S+\s*$/i.exec(line);
    if (m) out.push(m[1]);
  }
  return out;
}

/** Hash of the Dockerfile, the base and everything it COPYs: the tag that finds the build again. */
export function dockerfileInputs(root: string, image: DockerfileImage, base: string): { hash: string; include: string[] } {
  const file = path.join(root, 'templates', 'docker', `${image}.Dockerfile`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new AirlockError(
      'IMAGE_BUILD_FAILED',
      `templates/docker/${image}.Dockerfile is missing from ${root}`,
      'build from a checkout (after `npm run build`) or an installation that ships templates/docker, or pull from a registry',
    );
  }
  const include = copySources(text);
  const h = crypto.createHash('sha256').update('airlock-dockerfile-image-v1\0').update(`${image}\0${base}\0`).update(text);
  for (const src of include) {
    const abs = path.join(root, src);
    if (!fs.existsSync(abs)) {
      throw new AirlockError(
        'IMAGE_BUILD_FAILED',
        `${src} (COPYed by ${image}.Dockerfile) is missing from ${root}`,
        'run `npm run build` first',
      );
    }
    hashTree(h, src, abs);
  }
  return { hash: h.digest('hex'), include };
}

export interface DockerfileImageOptions {
  base: string;
  root?: string;
  installation?: string;
  progress?: Progress;
  signal?: AbortSignal;
}

/** Finds (by input hash) or builds one image from its Dockerfile through the engine; returns its tag. */
export async function ensureDockerfileImage(docker: Docker, image: DockerfileImage, o: DockerfileImageOptions): Promise<string> {
  const root = o.root ?? assets().root;
  const progress = o.progress ?? (() => {});
  const { hash, include } = dockerfileInputs(root, image, o.base);
  const repo = qualifiedRepo(REPO[image]);
  const tag = `${repo}:df-${hash.slice(0, 16)}`;
  const found = await docker
    .getImage(tag)
    .inspect()
    .catch(() => undefined);
  if (found?.Config?.Labels?.[INPUT_HASH_LABEL] === hash) return tag;
  progress(`[${image}] building templates/docker/${image}.Dockerfile FROM ${o.base}`);
  const owner = o.installation ?? installationId();
  await buildDockerfile(docker, {
    image,
    base: o.base,
    context: root,
    include,
    tag,
    signal: o.signal,
    progress,
    labels: { [INPUT_HASH_LABEL]: hash, ...installationLabels(owner), [BUILT_FROM_LABEL]: o.base },
  });
  await pruneOldTags(docker, repo, tag, owner);
  return tag;
}
