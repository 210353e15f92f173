// Offline code-executor image: a debootstrap'd Debian (shell, coreutils, git, python3) plus the host's Node and npm, cached by content hash.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AirlockError } from '../../protocol/src/errors';
import { defaultNodeBinary } from './node-binary';
import { writeRootfsTar } from './rootfs-tar';
import { AGENT_NODE } from '../../protocol/src/images';
import { installationLabels } from '../../protocol/src/node/assets';

export interface DebianImageOptions {
  engine: 'docker' | 'podman';
  /** Image repository; the tag is the first 12 hex digits of the content hash. */
  repository?: string;
  suite?: string;
  include?: string[];
  /** Apt mirror; defaults to the first URI in the machine's apt sources. */
  mirror?: string;
  cacheDir?: string;
  nodeBinary?: string;
  npmDir?: string;
  labels?: Record<string, string>;
  /** Who builds it (labels the image, not part of its hash, so `airlock images prune` removes only its own). */
  installation?: string;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

export interface BuiltImage {
  ref: string;
  contentHash: string;
  cached: boolean;
}

const BUILDER_VERSION = '1';
/** Bumped when the layer laid over Debian changes (not the Debian tree itself). */
const LAYOUT_VERSION = '6';
const SANDBOX_UID = 1000;

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AIRLOCK_CACHE_DIR) return env.AIRLOCK_CACHE_DIR;
  return isRoot() ? SHARED_CACHE : path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'airlock');
}

/** Root keeps the Debian base (debootstrap needs root) where every user of the machine can read it: a normal user's
 * build (e.g. for their rootless Podman) copies it instead of running debootstrap. */
export const SHARED_CACHE = '/var/cache/airlock';
const isRoot = () => (process.getuid?.() ?? 0) === 0;

/** The apt mirror this machine already uses (deb822 `URIs:` or one-line `deb URI suite`). */
export function aptMirror(root = '/etc/apt'): string {
  const files = [path.join(root, 'sources.list')];
  const d = path.join(root, 'sources.list.d');
  if (fs.existsSync(d))
    files.push(
      ...fs
        .readdirSync(d)
        .filter((f) => /\.(list|sources)$/.test(f))
        .sort()
        .map((f) => path.join(d, f)),
    );
  for (const f of files) {
    if (!fs.existsSync(f)) continue;
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      const m = /^URIs:\s*(\S+)/.exec(line) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/.exec(line);
      if (m && !/security/.test(m[1])) return m[1];
    }
  }
  throw new AirlockError(
    'IMAGE_NO_MIRROR',
    'no apt mirror found in /etc/apt/sources.list(.d)',
    'pass mirror: explicitly or point the template at your own image (field `image`)',
  );
}

/** tini (needs only libc) or Docker's static copy of it. */
export function initBinary(): string | undefined {
  return ['/usr/bin/tini', '/usr/bin/docker-init'].find((f) => fs.existsSync(f));
}

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function run(
  cmd: string,
  args: string[],
  opts: { onLine?: (l: string) => void; signal?: AbortSignal; stdin?: NodeJS.ReadableStream } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], signal: opts.signal });
    if (opts.stdin) {
      p.stdin!.on('error', () => {
        /* the engine closed early; its exit code says why */
      });
      opts.stdin.pipe(p.stdin!);
    }
    let out = '';
    let tail = '';
    const onData = (b: Buffer, keep: boolean) => {
      const s = b.toString();
      if (keep) out += s;
      tail = (tail + s).slice(-4000);
      if (opts.onLine) for (const l of s.split('\n')) if (l.trim()) opts.onLine(l.trim());
    };
    p.stdout!.on('data', (b: Buffer) => onData(b, true));
    p.stderr!.on('data', (b: Buffer) => onData(b, false));
    p.on('error', (e) => reject(new AirlockError('IMAGE_BUILD_FAILED', `${cmd}: ${e.message}`)));
    p.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(
            new AirlockError(
              'IMAGE_BUILD_FAILED',
              `${cmd} ${args[0]} exited with ${code}: ${tail.trim().split('\n').slice(-5).join(' | ')}`,
            ),
          ),
    );
  });
}

export async function imageExists(engine: string, ref: string): Promise<boolean> {
  try {
    await run(engine, ['image', 'inspect', ref]);
    return true;
  } catch {
    return false;
  }
}

/** Runs debootstrap once per (suite, include, mirror); the finished tree is renamed into place so a crash leaves no half tree. */
export async function debootstrap(
  o: Required<Pick<DebianImageOptions, 'suite' | 'include' | 'mirror' | 'cacheDir'>> & DebianImageOptions,
): Promise<{ dir: string; key: string }> {
  const key = createHash('sha256')
    .update(JSON.stringify(['debootstrap', BUILDER_VERSION, o.suite, [...o.include].sort(), o.mirror]))
    .digest('hex');
  const dir = path.join(o.cacheDir, 'debootstrap', key.slice(0, 16));
  if (fs.existsSync(path.join(dir, 'etc', 'debian_version'))) return { dir, key };
  const shared = path.join(SHARED_CACHE, 'debootstrap', key.slice(0, 16));
  if (!isRoot() && fs.existsSync(path.join(shared, 'etc', 'debian_version'))) return { dir: shared, key };
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  // debootstrap lives in /usr/sbin (not on a normal user's PATH) and needs root: say so instead of failing obscurely.
  const bin = ['/usr/sbin/debootstrap', '/usr/bin/debootstrap'].find((b) => fs.existsSync(b)) ?? 'debootstrap';
  if ((process.getuid?.() ?? 0) !== 0) {
    throw new AirlockError(
      'IMAGE_BUILD_NEEDS_ROOT',
      `the ${o.suite} base of the code-executor image is built with debootstrap, which needs root`,
      'have an administrator run `sudo airlock images prepare` once (in a checkout: `sudo npm run images`); the Debian base is then shared by every user of this machine',
    );
  }
  o.onProgress?.(`debootstrap ${o.suite} (minbase + ${o.include.join(',')}) from ${o.mirror}: about a minute, once`);
  let n = 0;
  await run(bin, ['--variant=minbase', `--include=${o.include.join(',')}`, o.suite, tmp, o.mirror], {
    signal: o.signal,
    onLine: (l) => {
      if (/^I: (Retrieving|Validating|Extracting|Installing|Configuring|Unpacking|Base system)/.test(l))
        o.onProgress?.(`debootstrap [${++n}] ${l.slice(3)}`);
    },
  });
  fs.rmSync(path.join(tmp, 'var', 'cache', 'apt', 'archives'), { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return { dir, key };
}

/** A hard-linked copy of the Debian tree (cheap) with node, npm, a non-root user and the sandbox mount points laid over it. */
async function stageRootfs(dir: string, base: string, nodeBinary: string, npmDir: string): Promise<void> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  if (isRoot()) await run('cp', ['-al', base, dir]);
  else {
    // Another user's tree (the shared base): no hard links into it, no device nodes, files we cannot read left out.
    fs.mkdirSync(path.join(dir, 'dev'), { recursive: true });
    await run('sh', [
      '-c',
      'tar -C "$1" --exclude=./dev --ignore-failed-read -cf - . 2>/dev/null | tar -C "$2" -xpf - --no-same-owner',
      'sh',
      base,
      dir,
    ]);
  }
  const p = (...s: string[]) => path.join(dir, ...s);
  fs.mkdirSync(p('usr', 'local', 'bin'), { recursive: true });
  fs.mkdirSync(p('usr', 'local', 'lib', 'node_modules'), { recursive: true });
  fs.copyFileSync(nodeBinary, p('usr', 'local', 'bin', 'node'));
  fs.chmodSync(p('usr', 'local', 'bin', 'node'), 0o755);
  fs.cpSync(npmDir, p('usr', 'local', 'lib', 'node_modules', 'npm'), { recursive: true, verbatimSymlinks: true });
  // An init for PID 1 that reaps orphans (a killed fork bomb's zombies would otherwise hold the pids limit).
  const init = initBinary();
  if (init) fs.copyFileSync(init, p('usr', 'local', 'bin', 'tini'));
  // The exec agent's own node, execute-only like tini: a process started from a file it cannot read is not dumpable,
  // so commands (same uid) cannot open its /proc/<pid>/{fd,mem} (docs/sandboxes.md).
  fs.mkdirSync(p(path.dirname(AGENT_NODE)), { recursive: true });
  fs.copyFileSync(nodeBinary, p(AGENT_NODE)); // made execute-only in the archive (writeRootfsTar)
  fs.symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', p('usr', 'local', 'bin', 'npm'));
  fs.symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', p('usr', 'local', 'bin', 'npx'));
  // No mount points for volumes (/workspace, ...): the engine creates them at mount time, and Podman then gives a new
  // volume's root the container user (the workspace user), not the owner of an image folder (which was uid 1000).
  fs.mkdirSync(p('etc'), { recursive: true });
  const passwd = fs.readFileSync(path.join(base, 'etc', 'passwd'), 'utf8').trimEnd();
  const group = fs.readFileSync(path.join(base, 'etc', 'group'), 'utf8').trimEnd();
  // Unlink first: these are hard links into the cached tree, which must stay untouched.
  fs.rmSync(p('etc', 'passwd'));
  fs.rmSync(p('etc', 'group'));
  fs.writeFileSync(p('etc', 'passwd'), `${passwd}\nairlock:x:${SANDBOX_UID}:${SANDBOX_UID}:airlock sandbox:/tmp:/bin/sh\n`);
  fs.writeFileSync(p('etc', 'group'), `${group}\nairlock:x:${SANDBOX_UID}:\n`);
}

/** Builds (or finds) the code-executor image; the tag and label carry the content hash of everything that went in. */
export async function buildDebianImage(opts: DebianImageOptions): Promise<BuiltImage> {
  const o = {
    ...opts,
    suite: opts.suite ?? 'bookworm',
    // python3 (+36 MB) so Python projects' tests run where the agent's commands do (docs/sandboxes.md, docs/eval.md).
    include: opts.include ?? ['git', 'ca-certificates', 'python3'],
    mirror: opts.mirror ?? aptMirror(),
    cacheDir: opts.cacheDir ?? defaultCacheDir(),
  };
  const nodeBinary = opts.nodeBinary ?? defaultNodeBinary();
  const npmDir = opts.npmDir ?? path.resolve(path.dirname(fs.realpathSync(path.join(path.dirname(nodeBinary), 'npm'))), '..');
  const npmVersion = JSON.parse(fs.readFileSync(path.join(npmDir, 'package.json'), 'utf8')).version as string;
  const baseKey = createHash('sha256')
    .update(JSON.stringify(['debootstrap', BUILDER_VERSION, o.suite, [...o.include].sort(), o.mirror]))
    .digest('hex');
  const contentHash = createHash('sha256')
    .update(JSON.stringify([LAYOUT_VERSION, baseKey, sha256File(nodeBinary), npmVersion, SANDBOX_UID, opts.labels ?? {}]))
    .digest('hex');
  const ref = `${opts.repository ?? 'airlock/code-executor'}:${contentHash.slice(0, 12)}`;
  if (await imageExists(o.engine, ref)) return { ref, contentHash, cached: true };

  const { dir: base } = await debootstrap(o);
  const stage = path.join(o.cacheDir, 'stage', contentHash.slice(0, 16));
  await stageRootfs(stage, base, nodeBinary, npmDir);
  o.onProgress?.(`importing ${ref} into ${o.engine}`);
  const labels = {
    'airlock.owner': 'airlock',
    'airlock.content-hash': contentHash,
    ...opts.labels,
    ...installationLabels(opts.installation),
  };
  const changes = [
    // Quoted: the installation's folder may hold spaces.
    ...Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`),
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'ENV HOME=/tmp',
    'WORKDIR /tmp', // not /workspace: that would create the mount point (see stageRootfs)
  ].flatMap((c) => ['--change', c]);
  // A normal user's copy is theirs on disk; in the image the system's files belong to root, as Debian has them.
  const archive = `${stage}.tar`;
  try {
    writeRootfsTar(stage, archive, {
      rootOwned: !isRoot(),
      executeOnly: ['/usr/local/bin/tini', AGENT_NODE].filter((f) => fs.existsSync(path.join(stage, f))),
    });
    await run(o.engine, ['import', ...changes, '-', ref], { stdin: fs.createReadStream(archive), signal: o.signal });
  } finally {
    fs.rmSync(archive, { force: true });
    fs.rmSync(stage, { recursive: true, force: true });
  }
  o.onProgress?.(`built ${ref}`);
  return { ref, contentHash, cached: false };
}
