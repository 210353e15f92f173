// Images from the Dockerfiles in templates/docker, built by the engine (dockerode buildImage, a tar context) FROM a base
// image the person's registry holds; and the offline way to make such a base: a debootstrap'd Debian plus Node.js,
// imported into the engine and pushed to that registry.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { AirlockError } from '../../protocol/src/errors';
import { aptMirror, debootstrap, defaultCacheDir, initBinary } from './debian-rootfs';
import { followEngine } from './follow';
import { defaultNodeBinary } from './node-binary';

export type DockerfileImage = 'kernel' | 'sandbox-node' | 'code-executor';
type Stream = Array<{ error?: string; stream?: string; aux?: { ID?: string } }>;

/** A build to its end, each line of its output to `onLine`. */
const follow = (docker: Docker, stream: NodeJS.ReadableStream, onLine: (l: string) => void, signal?: AbortSignal): Promise<Stream> =>
  followEngine<Stream[number]>(docker, stream, { signal, onEvent: (e) => { for (const l of (e.stream ?? '').split('\n')) if (l.trim()) onLine(l.trim()); } });

export interface DockerfileBuild {
  image: DockerfileImage;
  /** The base image, best by digest (`HOST/PREFIX/base@sha256:…`); the engine pulls it from that registry. */
  base: string;
  /** Folder holding templates/docker/ and whatever the Dockerfile COPYs (the package root). */
  context: string;
  /** Extra paths of the context to send (the Dockerfile itself is always sent). */
  include?: string[];
  tag: string;
  progress?: (line: string) => void;
  signal?: AbortSignal;
}

/** Builds one Dockerfile through the engine API. RUN steps get no network: nothing is fetched during the build (the base
 * comes from the registry, everything else from the context). */
export async function buildDockerfile(docker: Docker, b: DockerfileBuild): Promise<string> {
  const dockerfile = `templates/docker/${b.image}.Dockerfile`;
  const src = [dockerfile, ...(b.include ?? [])];
  for (const s of src) {
    if (!fs.existsSync(path.join(b.context, s))) throw new AirlockError('IMAGE_BUILD_FAILED', `${s} is missing from ${b.context}`, 'run `npm run build` first');
  }
  const progress = b.progress ?? (() => {});
  let out: Stream;
  try {
    const stream = await docker.buildImage({ context: b.context, src }, { t: b.tag, dockerfile, buildargs: { BASE: b.base },
      networkmode: 'none', rm: true, forcerm: true, abortSignal: b.signal } as Docker.ImageBuildOptions) as unknown as NodeJS.ReadableStream;
    out = await follow(docker, stream, (l) => progress(`[${b.image}] ${l}`), b.signal);
  } catch (err) {
    if (b.signal?.aborted) throw b.signal.reason;
    throw new AirlockError('IMAGE_BUILD_FAILED', `building ${dockerfile} FROM ${b.base}: ${(err as Error).message.slice(0, 400)}`, 'check the engine log');
  }
  const failed = out.find((e) => e.error)?.error;
  if (failed) {
    throw new AirlockError('IMAGE_BUILD_FAILED', `building ${dockerfile} FROM ${b.base}: ${failed.slice(0, 400)}`,
      /pull|not found|manifest|dial tcp/i.test(failed) ? 'the base image must be in a registry the engine trusts (see docs/install.md)' : 'see the build output above');
  }
  return b.tag;
}

/** A Debian base (debootstrap minbase + git, ca-certificates) with Node.js at /usr/local/bin/node and tini at
 * /usr/bin/tini, as the official node:20-bookworm-slim plus those packages has them; imported as `tag`. Needs root. */
export async function importDebianBase(docker: Docker, tag: string, o: { progress?: (l: string) => void; signal?: AbortSignal } = {}): Promise<string> {
  const { dir } = await debootstrap({ engine: 'docker', suite: 'bookworm', include: ['git', 'ca-certificates'], mirror: aptMirror(), cacheDir: defaultCacheDir(),
    onProgress: o.progress, signal: o.signal });
  const extra = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-base-'));
  try {
    fs.mkdirSync(path.join(extra, 'usr/local/bin'), { recursive: true });
    fs.copyFileSync(defaultNodeBinary(), path.join(extra, 'usr/local/bin/node'));
    fs.chmodSync(path.join(extra, 'usr/local/bin/node'), 0o755);
    const init = initBinary();
    if (init) { fs.mkdirSync(path.join(extra, 'usr/bin'), { recursive: true }); fs.copyFileSync(init, path.join(extra, 'usr/bin/tini')); }
    o.progress?.(`importing the Debian base as ${tag}`);
    // The added files only (no directory entries): the engine refuses an archive naming a path twice.
    const added = ['./usr/local/bin/node', ...(init ? ['./usr/bin/tini'] : [])];
    const exclude = ['--exclude=./dev/*', ...added.map((f) => `--exclude=${f}`)];
    const tar = spawn('tar', ['--numeric-owner', ...exclude, '-C', dir, '-cf', '-', '.', '-C', extra, ...added], { stdio: ['ignore', 'pipe', 'pipe'], signal: o.signal });
    const i = tag.lastIndexOf(':');
    const stream = await docker.importImage(tar.stdout as unknown as string, { repo: tag.slice(0, i), tag: tag.slice(i + 1),
      changes: ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["/bin/sh"]'] } as object);
    const res = await follow(docker, stream as unknown as NodeJS.ReadableStream, () => {}, o.signal);
    const id = res.map((e) => (e as { status?: string }).status).reverse().find((s) => s?.startsWith('sha256:'));
    if (!id) throw new AirlockError('IMAGE_BUILD_FAILED', `importing the Debian base returned no image id: ${JSON.stringify(res).slice(0, 300)}`);
    await docker.getImage(id).tag({ repo: tag.slice(0, i), tag: tag.slice(i + 1) });
    return tag;
  } finally { fs.rmSync(extra, { recursive: true, force: true }); }
}
