// Offline image builder: a minimal rootfs holding the host's Node.js, its shared libraries and given files,
// imported into Docker or Podman as a tagged image labelled with a content hash of its inputs.
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { importImageTar } from '../../core/src/engine/import-image';
import { INSTALLATION_LABEL, installationId, installationLabels } from '../../protocol/src/node/assets';
import { defaultNodeBinary } from './node-binary';
import { writeRootfsTar } from './rootfs-tar';

export interface NodeImageSpec {
  /** Repository name, e.g. `airlock/kernel`; the tag is derived from the input hash. */
  repo: string;
  /** Files or directories to copy in: destination path in the image → source path on the host. */
  files: Record<string, string>;
  /** Extra text files: destination → content. */
  texts?: Record<string, string>;
  /** Dockerfile-style changes applied on import (ENV, WORKDIR, USER, CMD, LABEL...). */
  changes?: string[];
  /** Node binary to ship; defaults to a real Node.js on this host (node-binary.ts: never Electron's binary). */
  nodeBinary?: string;
  /** Extra host binaries to ship with their libraries (e.g. /bin/sh). */
  binaries?: string[];
  /** Host binaries shipped through `files` whose shared libraries must be in the image too. */
  librariesOf?: string[];
  /** Paths in the image made execute-only (0111): a process started from a file it cannot read is not dumpable, so
   * nothing of the same uid can open its /proc/<pid>/{fd,mem} (the sandbox's init and exec agent). */
  executeOnly?: string[];
  /** Who builds it (labels the image; only that builder's older images are pruned): this checkout by default. */
  installation?: string;
}

export type Progress = (line: string) => void;
export const INPUT_HASH_LABEL = 'airlock.inputs';

/** Shared libraries a binary needs, as absolute host paths (the loader included). */
export function sharedLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs = new Set<string>();
  for (const line of out.split('\n')) {
    const m = line.match(/=>\s*(\/\S+)/) ?? line.match(/^\s*(\/\S+)\s*\(/);
    if (m) libs.add(m[1]);
  }
  return [...libs];
}

/** Hash of everything that goes into the image: paths, sizes and mtimes of host files, contents of small ones. */
export function inputHash(spec: NodeImageSpec): string {
  const h = crypto.createHash('sha256').update('airlock-node-image-v2\0').update(spec.repo);
  const node = spec.nodeBinary ?? defaultNodeBinary();
  for (const bin of [node, ...(spec.binaries ?? []), ...(spec.librariesOf ?? [])]) {
    for (const f of [bin, ...sharedLibraries(bin)]) {
      const st = fs.statSync(f);
      h.update(`${f}\0${st.size}\0${st.mtimeMs}\0`);
    }
  }
  for (const [dest, src] of Object.entries(spec.files).sort()) hashTree(h, dest, src);
  for (const [dest, text] of Object.entries(spec.texts ?? {}).sort()) h.update(`${dest}\0${text}\0`);
  for (const c of spec.changes ?? []) h.update(`change\0${c}\0`);
  return h.digest('hex');
}

const BIG_FILE = 16 * 1024 * 1024;

export function hashTree(h: crypto.Hash, dest: string, src: string): void {
  const st = fs.statSync(src);
  if (st.isDirectory()) {
    for (const name of fs.readdirSync(src).sort()) hashTree(h, path.posix.join(dest, name), path.join(src, name));
  } else if (st.size > BIG_FILE) {
    // A large binary (Deno, ~95 MB) is identified by its stat, as the host's Node is: reading it at every start costs.
    h.update(`${dest}\0${st.mode}\0${st.size}\0${st.mtimeMs}\0${st.ino}\0`);
  } else {
    h.update(`${dest}\0${st.mode}\0`).update(fs.readFileSync(src)).update('\0');
  }
}

/** Fully qualified so Podman never looks for it on docker.io; Docker keeps `localhost/` names local too. */
export function qualifiedRepo(repo: string): string {
  const first = repo.split('/')[0];
  return repo.includes('/') && (first === 'localhost' || /[.:]/.test(first)) ? repo : `localhost/${repo}`;
}

export function imageTag(spec: NodeImageSpec, hash = inputHash(spec)): string {
  return `${qualifiedRepo(spec.repo)}:${hash.slice(0, 16)}`;
}

/** Builds the image unless one with the same input hash exists. Returns the tag. */
export async function ensureNodeImage(
  docker: Docker,
  spec: NodeImageSpec,
  progress: Progress = () => {},
  signal?: AbortSignal,
): Promise<string> {
  const hash = inputHash(spec);
  const tag = imageTag(spec, hash);
  try {
    const info = await docker.getImage(tag).inspect();
    if (info.Config?.Labels?.[INPUT_HASH_LABEL] === hash) return tag;
    // `airlock images prepare --from-registry` put the release's image, pulled by digest, at this installation's tag
    // (after checking the manifest is for this version): that image is the one to use, not a local build.
    // Only that command tags a registry image (one with a repo digest) with an input-hash tag.
    if (info.RepoDigests?.length && info.Config?.Labels?.['airlock.owner'] === 'airlock') return tag;
  } catch {
    /* not present: build it */
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-rootfs-'));
  fs.chmodSync(dir, 0o755); // the image's / (a mkdtemp folder is 0700; Podman's vfs storage keeps it, and then no uid can run)
  try {
    progress(`building image ${tag}: assembling rootfs (Node.js ${spec.nodeBinary ?? defaultNodeBinary()} and its libraries)`);
    assembleRootfs(dir, spec);
    signal?.throwIfAborted();
    progress(`building image ${tag}: importing into the container engine`);
    // The installation labels (id, folder, uid) are not part of the input hash: identical checkouts share an image, and
    // each prunes only what it built itself (gc: docs/recovery.md).
    const owner = spec.installation ?? installationId();
    await importRootfs(
      docker,
      dir,
      spec.executeOnly ?? [],
      tag,
      [
        ...(spec.changes ?? []),
        `LABEL ${INPUT_HASH_LABEL}=${hash}`,
        // Quoted: the installation's folder may hold spaces.
        ...Object.entries(installationLabels(owner)).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`),
      ],
      signal,
    );
    progress(`building image ${tag}: done`);
    await pruneOldTags(docker, qualifiedRepo(spec.repo), tag, owner);
    return tag;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function assembleRootfs(dir: string, spec: NodeImageSpec): void {
  const put = (dest: string, src: string) => {
    const to = path.join(dir, dest);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.cpSync(src, to, { recursive: true, dereference: true });
  };
  const node = spec.nodeBinary ?? defaultNodeBinary();
  put('/usr/bin/node', node);
  for (const bin of spec.binaries ?? []) put(bin, bin);
  for (const bin of [node, ...(spec.binaries ?? []), ...(spec.librariesOf ?? [])]) for (const lib of sharedLibraries(bin)) put(lib, lib);
  for (const d of ['tmp', 'etc', 'proc', 'sys', 'dev', 'workspace', 'state', 'run']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nsandbox:x:1000:1000:sandbox:/tmp:/sbin/nologin\n');
  fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\nsandbox:x:1000:\n');
  for (const [dest, src] of Object.entries(spec.files)) put(dest, src);
  for (const [dest, text] of Object.entries(spec.texts ?? {})) {
    fs.mkdirSync(path.dirname(path.join(dir, dest)), { recursive: true });
    fs.writeFileSync(path.join(dir, dest), text);
  }
}

async function importRootfs(
  docker: Docker,
  dir: string,
  executeOnly: string[],
  tag: string,
  changes: string[],
  signal?: AbortSignal,
): Promise<void> {
  const file = `${dir}.tar`;
  writeRootfsTar(dir, file, { executeOnly });
  const archive = fs.createReadStream(file);
  const onAbort = () => archive.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  const i = tag.lastIndexOf(':');
  const [repo, version] = [tag.slice(0, i), tag.slice(i + 1)];
  try {
    signal?.throwIfAborted();
    const id = await importImageTar(docker, archive, { repo, tag: version, changes, signal });
    // Docker's import on Podman's compatible API named the image :latest: tagged by id, any such :latest untagged.
    await docker.getImage(id).tag({ repo, tag: version });
    const latest = await docker
      .getImage(`${repo}:latest`)
      .inspect()
      .catch(() => undefined);
    if (latest?.Id === id)
      await docker
        .getImage(`${repo}:latest`)
        .remove()
        .catch(() => undefined); // untags only
  } finally {
    signal?.removeEventListener('abort', onAbort);
    archive.destroy();
    fs.rmSync(file, { force: true });
  }
}

/** Removes earlier builds of the same repository by this installation that no container uses (each is ~100 MB);
 * another user's or another checkout's images are never touched. */
export async function pruneOldTags(docker: Docker, repo: string, keep: string, owner: string): Promise<void> {
  const images = await docker.listImages({ filters: { reference: [repo], label: [`${INSTALLATION_LABEL}=${owner}`] } }).catch(() => []);
  for (const img of images) {
    if (img.RepoTags?.includes(keep) || img.Labels?.[INSTALLATION_LABEL] !== owner) continue;
    await docker
      .getImage(img.Id)
      .remove()
      .catch(() => undefined); // in use or already gone: leave it
  }
}
