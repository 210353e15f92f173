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
  const r = spawnSync(bin, ['-e', 'process.stdout.write(process.versions.electron ? "electron" : "node " + process.version)'], { env, encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function isUsableNode(bin: string): boolean {
  const m = /^node v(\d+)\./.exec(probeNode(bin) ?? '');
  return !!m && Number(m[1]) >= MIN_MAJOR;
}

/** Resolves the binary once per process; arguments exist for tests that simulate an Electron extension host. */
export function hostNodeBinary(o: { execPath?: string; versions?: NodeJS.ProcessVersions | Record<string, string | undefined>; pathEnv?: string } = {}): string {
  const execPath = o.execPath ?? process.execPath;
  const versions = o.versions ?? process.versions;
  const candidates: string[] = [];
  if (!versions.electron) candidates.push(execPath);
  for (const dir of (o.pathEnv ?? process.env.PATH ?? '').split(path.delimiter)) if (dir && path.isAbsolute(dir)) candidates.push(path.join(dir, 'node'));
  for (const c of candidates) {
    if (!fs.existsSync(c)) continue;
    const real = fs.realpathSync(c);
    if (isUsableNode(real)) return real;
  }
  throw new AirlockError('IMAGE_NO_NODE', `no Node.js ${MIN_MAJOR}+ binary to build Airlock's images from${versions.electron ? ' (this is Electron, whose binary cannot run the kernel)' : ''}`,
    `install Node.js ${MIN_MAJOR}+ so \`node\` is on PATH, or use prebuilt images (AIRLOCK_KERNEL_IMAGE, a template's \`image\`)`);
}

let cached: string | undefined;
export function defaultNodeBinary(): string {
  return (cached ??= hostNodeBinary());
}
