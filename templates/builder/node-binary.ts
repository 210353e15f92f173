// The real Node.js binary the offline image builders ship: this process's own when it is Node, else `node` on PATH.
// Never the editor's binary: in desktop VS Code the extension host is Electron, whose execPath is the editor itself.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../protocol/src/errors';

const MIN_MAJOR = 20;

/** What a binary says it is when run as a script host: `node vX.Y.Z`, `electron`, or undefined (not runnable). */
export function probeNode(bin: string): string | undefined {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  const say = 'process.stdout.write(process.versions.electron ? "electron" : "node " + process.version)';
  const r = spawnSync(bin, ['-e', say], { env, encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function isUsableNode(bin: string): boolean {
  const m = /^node v(\d+)\./.exec(probeNode(bin) ?? '');
  return !!m && Number(m[1]) >= MIN_MAJOR;
}

/** Resolves the binary once per process; arguments exist for tests that simulate an Electron extension host. */
export function hostNodeBinary(
  o: { execPath?: string; versions?: NodeJS.ProcessVersions | Record<string, string | undefined>; pathEnv?: string } = {},
): string {
  const execPath = o.execPath ?? process.execPath;
  const versions = o.versions ?? process.versions;
  const candidates: string[] = [];
  if (!versions.electron) candidates.push(execPath);
  for (const dir of (o.pathEnv ?? process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && path.isAbsolute(dir)) candidates.push(path.join(dir, 'node'));
  }
  for (const c of candidates) {
    if (!fs.existsSync(c)) continue;
    const real = fs.realpathSync(c);
    if (isUsableNode(real)) return real;
  }
  const electron = versions.electron ? ' (this is Electron, whose binary cannot run the kernel)' : '';
  throw new AirlockError(
    'IMAGE_NO_NODE',
    `no Node.js ${MIN_MAJOR}+ binary to build Airlock's images from${electron}`,
    `install Node.js ${MIN_MAJOR}+ so \`node\` is on PATH, or use prebuilt images (AIRLOCK_KERNEL_IMAGE, a template's \`image\`)`,
  );
}

let cached: string | undefined;
export function defaultNodeBinary(): string {
  return (cached ??= hostNodeBinary());
}

const checkedNatives = new Map<string, string | undefined>();

/** Loads the native modules an image ships (better-sqlite3, the peer-credential addon) with the Node.js that image will
 * run: a .vsix or dist/ built with another Node has another ABI, and the kernel would die at its first require. */
export function checkNatives(nodeBinary: string, nodeModules: string, modules = ['better-sqlite3', 'airlock-peercred']): void {
  const key = `${nodeBinary}\0${nodeModules}`;
  if (!checkedNatives.has(key)) {
    const present = modules.filter((m) => fs.existsSync(path.join(nodeModules, m)));
    const src = `for (const m of ${JSON.stringify(present.map((m) => path.join(nodeModules, m)))}) require(m)`;
    const r = spawnSync(nodeBinary, ['-e', src], { encoding: 'utf8', timeout: 15_000, env: { PATH: process.env.PATH } });
    const lines = (r.stderr || r.error?.message || `exit ${r.status}`).split('\n');
    checkedNatives.set(
      key,
      r.status === 0 ? undefined : (lines.find((l) => /Error|version|ABI|NODE_MODULE/.test(l)) ?? 'it could not load them'),
    );
  }
  const why = checkedNatives.get(key);
  if (why !== undefined) {
    const version = probeNode(nodeBinary) ?? 'unknown version';
    throw new AirlockError(
      'IMAGE_NATIVE_ABI',
      `the native modules in ${nodeModules} do not load with ${nodeBinary} (${version}): ${why.trim().slice(0, 300)}`,
      'rebuild them with this Node.js (`npm rebuild` then `npm run build` in the checkout), or use a build of Airlock made for it',
    );
  }
}
