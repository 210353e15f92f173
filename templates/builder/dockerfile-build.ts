// Images from the Dockerfiles in templates/docker, built by the engine (dockerode buildImage, a tar context) FROM a base
// image the person's registry holds; and the offline way to make such a base: a debootstrap'd Debian plus Node.js,
// imported into the engine and pushed to that registry.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { AirlockError } from '../../protocol/src/errors';
import { importImageTar } from '../../core/src/engine/import-image';
import { aptMirror, debootstrap, defaultCacheDir, initBinary } from './debian-rootfs';
import { followEngine } from './follow';
import { defaultNodeBinary, probeNode } from './node-binary';
import { parseRegistry, pushTag } from './registry';

export type DockerfileImage = 'kernel' | 'sandbox-node' | 'code-executor';
type Stream = Array<{ error?: string; stream?: string; aux?: { ID?: string } }>;

/** A build to its end, each line of its output to `onLine`. */
const follow = (docker: Docker, stream: NodeJS.ReadableStream, onLine: (l: string) => void, signal?: AbortSignal): Promise<Stream> =>
  followEngine<Stream[number]>(docker, stream, {
    signal,
    onEvent: (e) => {
      for (const l of (e.stream ?? '').split('\n')) if (l.trim()) onLine(l.trim());
    },
  });

export interface DockerfileBuild {
  image: DockerfileImage;
  /** The base image, best by digest (`HOST/PREFIX/base@sha256:…`); the engine pulls it from that registry. */
  base: string;
  /** Folder holding templates/docker/ and whatever the Dockerfile COPYs (the package root). */
  context: string;
  /** Extra paths of the context to send (the Dockerfile itself is always sent). */
  include?: string[];
  tag: string;
  /** Labels added to the image (the Dockerfile's own stay). */
  labels?: Record<string, string>;
  progress?: (line: string) => void;
  signal?: AbortSignal;
}

/** Builds one Dockerfile through the engine API. RUN steps get no network: nothing is fetched during the build (the base
 * comes from the registry, everything else from the context). */
export async function buildDockerfile(docker: Docker, b: DockerfileBuild): Promise<string> {
  const dockerfile = `templates/docker/${b.image}.Dockerfile`;
  const src = [dockerfile, ...(b.include ?? [])];
  for (const s of src) {
    if (!fs.existsSync(path.join(b.context, s)))
      throw new AirlockError('IMAGE_BUILD_FAILED', `${s} is missing from ${b.context}`, 'run `npm run build` first');
  }
  const progress = b.progress ?? (() => {});
  let out: Stream;
  try {
    const stream = (await docker.buildImage({ context: b.context, src }, {
      t: b.tag,
      dockerfile,
      buildargs: { BASE: b.base },
      labels: b.labels ?? {},
      networkmode: 'none',
      rm: true,
      forcerm: true,
      abortSignal: b.signal,
    } as Docker.ImageBuildOptions)) as unknown as NodeJS.ReadableStream;
    out = await follow(docker, stream, (l) => progress(`[${b.image}] ${l}`), b.signal);
  } catch (err) {
    if (b.signal?.aborted) throw b.signal.reason;
    throw new AirlockError(
      'IMAGE_BUILD_FAILED',
      `building ${dockerfile} FROM ${b.base}: ${(err as Error).message.slice(0, 400)}`,
      'check the engine log',
    );
  }
  const failed = out.find((e) => e.error)?.error;
  if (failed) {
    throw new AirlockError(
      'IMAGE_BUILD_FAILED',
      `building ${dockerfile} FROM ${b.base}: ${failed.slice(0, 400)}`,
      /pull|not found|manifest|dial tcp/i.test(failed)
        ? 'the base image must be in a registry the engine trusts (see docs/install.md)'
        : 'see the build output above',
    );
  }
  return b.tag;
}

/** A Debian base (debootstrap minbase + git, ca-certificates, python3) with Node.js at /usr/local/bin/node and tini at
 * /usr/bin/tini, as the official node:20-bookworm-slim plus those packages has them; imported as `tag`. Needs root. */
export async function importDebianBase(
  docker: Docker,
  tag: string,
  o: { progress?: (l: string) => void; signal?: AbortSignal } = {},
): Promise<string> {
  // The offline code-executor recipe's packages (debian-rootfs.ts), so its Dockerfile installs nothing.
  const { dir } = await debootstrap({
    engine: 'docker',
    suite: 'bookworm',
    include: ['git', 'ca-certificates', 'python3'],
    mirror: aptMirror(),
    cacheDir: defaultCacheDir(),
    onProgress: o.progress,
    signal: o.signal,
  });
  const extra = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-base-'));
  try {
    fs.mkdirSync(path.join(extra, 'usr/local/bin'), { recursive: true });
    fs.copyFileSync(defaultNodeBinary(), path.join(extra, 'usr/local/bin/node'));
    fs.chmodSync(path.join(extra, 'usr/local/bin/node'), 0o755);
    const init = initBinary();
    if (init) {
      fs.mkdirSync(path.join(extra, 'usr/bin'), { recursive: true });
      fs.copyFileSync(init, path.join(extra, 'usr/bin/tini'));
    }
    o.progress?.(`importing the Debian base as ${tag}`);
    // Two steps, as writeRootfsTar does: GNU tar applies --exclude to every member, so one command that excluded the
    // added paths from the Debian tree (to name each path once) dropped them from `extra` too: the base had no node.
    const added = ['./usr/local/bin/node', ...(init ? ['./usr/bin/tini'] : [])];
    const archive = path.join(extra, 'base.tar');
    tarOrThrow(['--numeric-owner', '--exclude=./dev/*', ...added.map((f) => `--exclude=${f}`), '-C', dir, '-cf', archive, '.']);
    tarOrThrow(['--numeric-owner', '--owner=0', '--group=0', '-C', extra, '-rf', archive, ...added]);
    const i = tag.lastIndexOf(':');
    const id = await importImageTar(docker, fs.createReadStream(archive), {
      repo: tag.slice(0, i),
      tag: tag.slice(i + 1),
      changes: ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["/bin/sh"]'],
      signal: o.signal,
    });
    await docker.getImage(id).tag({ repo: tag.slice(0, i), tag: tag.slice(i + 1) });
    return tag;
  } finally {
    fs.rmSync(extra, { recursive: true, force: true });
  }
}

/** `airlock images base`: the Debian base imported into this engine and pushed to `registry` (HOST[:PORT]/PREFIX) as
 * PREFIX/base; returns it by digest, the value for AIRLOCK_IMAGE_BASE. Needs root (debootstrap). */
export async function publishDebianBase(
  docker: Docker,
  registry: string,
  o: { progress?: (l: string) => void; signal?: AbortSignal } = {},
): Promise<string> {
  const prefix = parseRegistry(registry);
  // Named after the Node.js it ships (the one the offline builder would use), e.g. bookworm-node20.20.2.
  const tag = `bookworm-${(probeNode(defaultNodeBinary()) ?? 'node').replace(/[^\w.-]+/g, '').replace(/^nodev/, 'node')}`;
  await importDebianBase(docker, `localhost/airlock/base:${tag}`, o);
  const repo = `${prefix}/base`;
  await docker.getImage(`localhost/airlock/base:${tag}`).tag({ repo, tag });
  o.progress?.(`pushing ${repo}:${tag}`);
  const digest = await pushTag(docker, repo, tag, o.signal);
  return `${repo}@${digest}`;
}

function tarOrThrow(args: string[]): void {
  const r = spawnSync('tar', args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0)
    throw new AirlockError(
      'IMAGE_BUILD_FAILED',
      `tar failed (exit ${r.status}): ${(r.stderr || r.error?.message || '').trim().slice(-400)}`,
    );
}
