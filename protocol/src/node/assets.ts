// The one asset resolver: where Airlock's own files are in each of its three layouts. Nothing else computes an asset
// path from __dirname or the working directory (scripts/lint-layers.mjs checks it).
//
//   sources  a checkout run through tsx        <root>/protocol/src/node/assets.ts   workers are .ts files
//   bundle   dist/ bundles (checkout or .vsix)  <root>/dist/{cli,extension}.js, <root>/dist/kernel/kernel.js
//   image    the kernel image                   /opt/airlock/dist/kernel/kernel.js (AIRLOCK_IN_CONTAINER=1)
//
// In every layout the package root holds policies/, templates/, examples/ and (where shipped) node_modules/deno.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../errors';

export type AssetLayout = 'sources' | 'bundle' | 'image';
/** Worker threads of the kernel, and `provider-worker`: the program the kernel sends into an ai-provider sandbox. */
export type WorkerName = 'grep-worker' | 'audit-writer' | 'walk-worker' | 'provider-worker';

export interface Assets {
  layout: AssetLayout;
  /** The package root: the checkout, the installed extension's folder, or /opt/airlock in the kernel image. */
  root: string;
  /** The folder holding the kernel's own code and data; the built-in policy protects it from reads and writes. */
  kernelDir: string;
  /** dist/kernel when it was built (the kernel bundle, its workers and native modules). */
  kernelBundleDir: string | undefined;
  /** Sandbox templates (*.yaml): the person's own folder when given (AIRLOCK_TEMPLATES_DIR), else the shipped one. */
  sandboxTemplatesDir: string;
  seccompDir: string;
  /** Default policies per mode (AIRLOCK_POLICIES_DIR overrides). */
  policiesDir: string;
  examplesDir: string;
  /** The built-in tool plugins (dist/plugins/<name>/), built by scripts/build.mjs; absent in a checkout not built. */
  builtinPluginsDir: string;
  /** The Deno binary that runs policy predicates, or undefined when it is not shipped in this layout. */
  deno: string | undefined;
}

/** Where this module itself is: under tsx its source folder, once bundled the bundle's folder. */
function here(): string {
  return __dirname;
}

function findRoot(dir: string, env: NodeJS.ProcessEnv): { root: string; layout: AssetLayout } {
  const parts = dir.split(path.sep);
  const tail = parts.slice(-3).join('/');
  if (tail === 'protocol/src/node') return { root: path.resolve(dir, '..', '..', '..'), layout: 'sources' };
  const image = env.AIRLOCK_IN_CONTAINER === '1';
  if (path.basename(dir) === 'kernel' && path.basename(path.dirname(dir)) === 'dist') {
    return { root: path.resolve(dir, '..', '..'), layout: image ? 'image' : 'bundle' };
  }
  if (path.basename(dir) === 'dist') return { root: path.resolve(dir, '..'), layout: image ? 'image' : 'bundle' };
  throw new AirlockError(
    'ASSETS_LAYOUT',
    `Airlock's files are not in a layout it knows (code in ${dir})`,
    'run Airlock from a checkout, its dist/ folder, the installed extension or the kernel image',
  );
}

function firstExisting(...candidates: string[]): string | undefined {
  return candidates.find((c) => fs.existsSync(c));
}

/** Resolves every asset path once; `dir` and `env` exist for tests that lay out a fake package. */
export function resolveAssets(env: NodeJS.ProcessEnv = process.env, dir = here()): Assets {
  const { root, layout } = findRoot(dir, env);
  const bundle = path.join(root, 'dist', 'kernel');
  const templates = path.join(root, 'templates');
  const denoBin = process.platform === 'win32' ? 'deno.exe' : 'deno';
  return {
    layout,
    root,
    kernelDir: root,
    kernelBundleDir: fs.existsSync(path.join(bundle, 'kernel.js')) ? bundle : undefined,
    sandboxTemplatesDir: env.AIRLOCK_TEMPLATES_DIR ? path.resolve(env.AIRLOCK_TEMPLATES_DIR) : path.join(templates, 'sandbox'),
    seccompDir: path.join(templates, 'seccomp'),
    policiesDir: env.AIRLOCK_POLICIES_DIR ? path.resolve(env.AIRLOCK_POLICIES_DIR) : path.join(root, 'policies'),
    examplesDir: path.join(root, 'examples'),
    builtinPluginsDir: path.join(root, 'dist', 'plugins'),
    deno: firstExisting(path.join(root, 'node_modules', 'deno', denoBin)),
  };
}

let cached: Assets | undefined;
/** The process's assets (resolved once; the environment is read at first use). */
export function assets(): Assets {
  return (cached ??= resolveAssets());
}

/** A worker thread's entry: the bundled .js beside the kernel bundle, or the .ts source run through tsx. */
export function workerEntry(name: WorkerName, a: Assets = assets()): { file: string; ts: boolean } | undefined {
  const source: Record<WorkerName, string> = {
    'grep-worker': 'kernel/src/agent/tools/grep-worker.ts',
    'audit-writer': 'core/src/audit/audit-writer.ts',
    'walk-worker': 'kernel/src/patches/walk-worker.ts',
    'provider-worker': 'kernel/src/agent/provider-worker/worker.ts',
  };
  const file = a.layout === 'sources' ? path.join(a.root, source[name]) : path.join(a.root, 'dist', 'kernel', `${name}.js`);
  return fs.existsSync(file) ? { file, ts: a.layout === 'sources' } : undefined;
}

/** Where the kernel image keeps the package (the "image" layout's root), and the relay the exec-stream transport runs
 * there (`docker exec node <relay>`): a path inside the kernel container, never on the host. */
export const KERNEL_IMAGE_ROOT = '/opt/airlock';
export const KERNEL_IMAGE_RELAY = `${KERNEL_IMAGE_ROOT}/dist/kernel/relay.js`;

/** The kernel bundle folder, or a clear error saying how to build it. */
export function requireKernelBundle(a: Assets = assets()): string {
  if (a.kernelBundleDir) return a.kernelBundleDir;
  throw new AirlockError(
    ErrorCodes.KernelStart,
    `the kernel bundle (${path.join(a.root, 'dist', 'kernel', 'kernel.js')}) is missing`,
    'run `npm run build` in the Airlock checkout',
  );
}

/** This installation's package root, symlinks resolved (what its id and its images' root label name). */
export function installationRoot(a: Assets = assets()): string {
  try {
    return fs.realpathSync(a.root);
  } catch {
    return a.root; // keep the resolved path
  }
}

/** The id of the installation at `root` (resolved) for `uid`: gc recomputes it to trust an image's root label. */
export function installationIdOf(root: string, uid: number): string {
  return crypto.createHash('sha256').update(`${root}\0${uid}`).digest('hex').slice(0, 16);
}

/** Identifies this checkout or installation for this user: images it builds carry it, and only those are pruned. */
export function installationId(a: Assets = assets(), uid = process.getuid?.() ?? 0): string {
  return installationIdOf(installationRoot(a), uid);
}

export const INSTALLATION_LABEL = 'airlock.installation';
/** The installation's folder and uid, beside its id: `airlock gc` on this machine removes what an installation whose
 * folder is gone left behind (a deleted checkout, an updated extension's old version folder). */
export const INSTALLATION_ROOT_LABEL = 'airlock.installation-root';
export const INSTALLATION_UID_LABEL = 'airlock.installation-uid';

/** The labels an image built by `installation` (default: this one) carries. An id other than this installation's
 * (a test's, a release build's) gets no folder: nothing on this machine can tell whether it still exists. */
export function installationLabels(installation?: string, a?: Assets, uid = process.getuid?.() ?? 0): Record<string, string> {
  const root = installationRoot(a);
  const id = installationIdOf(root, uid);
  if (installation !== undefined && installation !== id) return { [INSTALLATION_LABEL]: installation };
  return { [INSTALLATION_LABEL]: id, [INSTALLATION_ROOT_LABEL]: root, [INSTALLATION_UID_LABEL]: String(uid) };
}
