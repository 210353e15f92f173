// code-server on loopback: temp XDG/user/extension dirs, user settings, .vsix install, whole-process-group stop.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { AirlockError } from '../../../protocol/src/errors';
import { codeServerBinary, sleep, tempDir, waitFor } from './env';

const execFileP = promisify(execFile);
/** Settings every e2e run wants: no welcome page, no trust prompt (tests set trust explicitly). */
export const BASE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'never',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
};

export interface CodeServerOptions {
  /** Extra environment for the server and its extension hosts. */
  env?: NodeJS.ProcessEnv;
  /** Initial user settings merged over BASE_SETTINGS. */
  settings?: Record<string, unknown>;
  /**
   * Initial remote machine settings (`Machine/settings.json`). code-server's window is a remote one: there VS Code takes
   * machine-scoped settings (airlock.baseUrl) only from these, never from the user settings (VS Code 1.35 release notes).
   */
  machineSettings?: Record<string, unknown>;
  signal?: AbortSignal;
  /**
   * The .vsix alone, as a user has it: the server runs in a private mount namespace where `hide` (the checkout) is an
   * empty tmpfs, with a clean environment whose PATH has every system tool but node/npm/npx (the server itself starts
   * from the absolute Node binary, as code-server's own launcher does). Needs root (CI and these machines run as root).
   */
  isolated?: { hide: string[] };
}

const NOT_ON_PATH = new Set(['node', 'nodejs', 'npm', 'npx', 'corepack']);

/** A folder of links to every system tool except Node's, for an isolated server's PATH. */
export function pathWithoutNode(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const src of ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    if (!fs.existsSync(src)) continue;
    for (const name of fs.readdirSync(src)) {
      const to = path.join(dir, name);
      if (NOT_ON_PATH.has(name) || fs.existsSync(to)) continue;
      try {
        fs.symlinkSync(path.join(src, name), to);
      } catch {
        /* a name twice: the first wins */
      }
    }
  }
  return dir;
}

/** argv and env for an isolated server: unshare + tmpfs over each hidden folder, then exec node with the entry. */
function isolatedLaunch(
  bin: string,
  args: string[],
  root: string,
  xdg: NodeJS.ProcessEnv,
  hide: string[],
): { cmd: string; argv: string[]; env: NodeJS.ProcessEnv } {
  const entry = fs.realpathSync(bin);
  const mounts = hide.map((h) => `mount -t tmpfs -o size=1m,mode=0755 airlock-hidden ${JSON.stringify(h)}`).join(' && ');
  const home = path.join(root, 'home');
  fs.mkdirSync(home, { recursive: true });
  const env = { PATH: pathWithoutNode(path.join(root, 'bin')), HOME: home, LANG: 'C.UTF-8', ...xdg };
  return {
    cmd: 'unshare',
    argv: ['--mount', '--propagation', 'private', '/bin/sh', '-c', `${mounts} && exec "$0" "$@"`, process.execPath, entry, ...args],
    env,
  };
}

export class CodeServer {
  readonly url: string;
  private output = '';

  private constructor(
    private readonly proc: ChildProcess,
    readonly port: number,
    readonly root: string,
    readonly dirs: { userData: string; extensions: string; xdg: NodeJS.ProcessEnv },
  ) {
    this.url = `http://127.0.0.1:${port}`;
    proc.stdout?.on('data', (b: Buffer) => {
      this.output = (this.output + b.toString()).slice(-64_000);
    });
    proc.stderr?.on('data', (b: Buffer) => {
      this.output = (this.output + b.toString()).slice(-64_000);
    });
  }

  /** Starts code-server in its own session (setsid) so stop() can kill the whole group, and waits for /healthz. */
  static async start(opts: CodeServerOptions = {}): Promise<CodeServer> {
    const bin = codeServerBinary();
    const root = tempDir('cs');
    const xdg = {
      XDG_CONFIG_HOME: path.join(root, 'config'),
      XDG_DATA_HOME: path.join(root, 'data'),
      XDG_STATE_HOME: path.join(root, 'state'),
      XDG_CACHE_HOME: path.join(root, 'cache'),
    };
    const dirs = { userData: path.join(root, 'user-data'), extensions: path.join(root, 'extensions'), xdg };
    for (const d of [...Object.values(xdg), dirs.userData, dirs.extensions]) fs.mkdirSync(d!, { recursive: true });
    const port = await freePort();
    const args = [
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--user-data-dir',
      dirs.userData,
      '--extensions-dir',
      dirs.extensions,
    ];
    // detached = setsid(): the server, its file watchers and extension hosts share one process group.
    const launch = opts.isolated
      ? isolatedLaunch(bin, args, root, xdg, opts.isolated.hide)
      : { cmd: bin, argv: args, env: { ...process.env, ...xdg } };
    const proc = spawn(launch.cmd, launch.argv, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...launch.env, ...opts.env } });
    const cs = new CodeServer(proc, port, root, dirs);
    cs.writeSettings({ ...BASE_SETTINGS, ...opts.settings });
    if (opts.machineSettings) {
      fs.mkdirSync(path.dirname(cs.machineSettingsFile), { recursive: true });
      fs.writeFileSync(cs.machineSettingsFile, JSON.stringify(opts.machineSettings, null, 2));
    }
    let exited: number | null | undefined;
    proc.on('exit', (code) => {
      exited = code;
    });
    try {
      await waitFor(
        'code-server /healthz',
        async () => {
          if (exited !== undefined)
            throw new AirlockError('E2E_CODE_SERVER_EXITED', `code-server exited with ${exited}: ${cs.output.slice(-2000)}`);
          opts.signal?.throwIfAborted();
          const r = await fetch(`${cs.url}/healthz`).catch(() => undefined);
          return r?.ok ? true : undefined;
        },
        30_000,
        100,
      );
    } catch (e) {
      await cs.stop();
      throw e;
    }
    return cs;
  }

  /** The server's process id (its namespaces and environment are the extension host's). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  get settingsFile(): string {
    return path.join(this.dirs.userData, 'User', 'settings.json');
  }

  get machineSettingsFile(): string {
    return path.join(this.dirs.userData, 'Machine', 'settings.json');
  }

  /** Replaces the user settings; a workbench opened afterwards reads them. */
  writeSettings(settings: Record<string, unknown>): void {
    fs.mkdirSync(path.dirname(this.settingsFile), { recursive: true });
    fs.writeFileSync(this.settingsFile, JSON.stringify(settings, null, 2));
  }

  updateSettings(patch: Record<string, unknown>): void {
    const current = fs.existsSync(this.settingsFile) ? JSON.parse(fs.readFileSync(this.settingsFile, 'utf8')) : {};
    this.writeSettings({ ...current, ...patch });
  }

  /** `code-server --install-extension X.vsix` into this server's extensions dir; returns the installed folder. */
  async installExtension(vsix: string): Promise<string> {
    const before = new Set(fs.readdirSync(this.dirs.extensions));
    await execFileP(
      codeServerBinary(),
      ['--user-data-dir', this.dirs.userData, '--extensions-dir', this.dirs.extensions, '--install-extension', vsix, '--force'],
      { env: { ...process.env, ...this.dirs.xdg }, timeout: 60_000 },
    );
    const added = fs
      .readdirSync(this.dirs.extensions)
      .filter((d) => !before.has(d) && fs.existsSync(path.join(this.dirs.extensions, d, 'package.json')));
    if (added.length !== 1)
      throw new AirlockError('E2E_INSTALL_FAILED', `installing ${vsix} added ${added.length} extension folders (${added.join(', ')})`);
    return path.join(this.dirs.extensions, added[0]);
  }

  /** The workbench URL for a folder on the server's disk, with optional extra query parameters. */
  folderUrl(folder: string, query: Record<string, string> = {}): string {
    const u = new URL(this.url);
    u.searchParams.set('folder', folder);
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    return u.toString();
  }

  /** Last lines the server (and its extension hosts) printed, for failure messages. */
  get log(): string {
    return this.output;
  }

  /** SIGTERM to the process group, SIGKILL after 3 s; then removes the temp dirs. */
  async stop(): Promise<void> {
    const pgid = this.proc.pid;
    if (pgid !== undefined) {
      signalGroup(pgid, 'SIGTERM');
      const end = Date.now() + 3000;
      while (groupAlive(pgid) && Date.now() < end) await sleep(50);
      if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
      while (groupAlive(pgid) && Date.now() < end + 2000) await sleep(50);
    }
    fs.rmSync(this.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    /* the group is gone */
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
