// The kernel image built offline from the bundled kernel: its files, laid out as the package root is on the host.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BootstrapConfig } from '../../core/src/config/bootstrap';
import type { Engine } from '../../core/src/engine/detect';
import { assets, type Assets, requireKernelBundle } from '../../protocol/src/node/assets';
import { checkNatives, defaultNodeBinary } from './node-binary';
import { ensureNodeImage, type NodeImageSpec, type Progress } from './node-rootfs';
import { ensureDockerfileImage, imageSource } from './dockerfile-images';
import { registryKernelImage } from './registry-prepare';

/** Where the image holds the package (the asset resolver's "image" layout). */
export const IMAGE_ROOT = '/opt/airlock';

/** The kernel image's files, laid out as the package root is on the host (the asset resolver's "image" layout):
 * /opt/airlock/dist/kernel/kernel.js, /opt/airlock/{policies,templates,examples}, the Deno binary for predicates. */
export function kernelImageSpec(a: Assets = assets()): NodeImageSpec {
  const files: Record<string, string> = { [`${IMAGE_ROOT}/dist/kernel`]: requireKernelBundle(a) };
  // The natives (better-sqlite3, the peer-credential addon) staged beside the bundles by the build.
  // dist/node_modules also holds the CLI's keychain binding (@napi-rs): the kernel never loads it, so it stays out.
  const mods = path.join(a.root, 'dist', 'node_modules');
  for (const m of fs.existsSync(mods) ? fs.readdirSync(mods) : [])
    if (m !== '@napi-rs') files[`${IMAGE_ROOT}/dist/node_modules/${m}`] = path.join(mods, m);
  // The built-in plugins: the kernel hashes its own copy to pre-approve the host's (kernel/src/plugins/builtins.ts).
  for (const d of ['policies', 'templates/sandbox', 'templates/seccomp', 'examples', 'dist/plugins']) {
    if (fs.existsSync(path.join(a.root, d))) files[`${IMAGE_ROOT}/${d}`] = path.join(a.root, d);
  }
  if (a.deno) files[`${IMAGE_ROOT}/node_modules/deno/deno`] = a.deno;
  return {
    repo: 'airlock/kernel',
    files,
    librariesOf: a.deno ? [a.deno] : [],
    changes: [
      `WORKDIR ${IMAGE_ROOT}`,
      `CMD ["/usr/bin/node", "${IMAGE_ROOT}/dist/kernel/kernel.js"]`,
      // One label per LABEL: Podman's import reads `LABEL a=1 b=2` as a=`1 b=2` (no role, and an owner gc never lists).
      'LABEL airlock.owner=airlock',
      'LABEL airlock.role=kernel-image',
    ],
  };
}

/** The kernel image a start uses: the person's own, the registry's (by digest), one the engine builds from the kernel
 * Dockerfile, or the offline build — never the offline build under Electron (dockerfile-images.ts: imageSource). */
export async function ensureKernelImage(
  engine: Engine,
  cfg: BootstrapConfig,
  progress?: Progress,
  signal?: AbortSignal,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (cfg.image) return cfg.image;
  const source = imageSource({ env });
  if (source.type === 'registry') return registryKernelImage(engine.docker, source.source, progress, signal);
  if (source.type === 'dockerfile') return ensureDockerfileImage(engine.docker, 'kernel', { base: source.base, progress, signal });
  const spec = kernelImageSpec();
  // The image runs the natives it ships with this Node.js: refuse an ABI mismatch now, not as a kernel crash loop.
  checkNatives(spec.nodeBinary ?? defaultNodeBinary(), path.join(assets().root, 'dist', 'node_modules'));
  return ensureNodeImage(engine.docker, spec, progress, signal);
}
