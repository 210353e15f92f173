// A private Secret Service for tests: a D-Bus session bus of our own (dbus-daemon with a temp config) and gnome-keyring
// on it with an unlocked login keyring; nothing of the machine's own session is touched. scripts/setup.sh test
// installs both daemons.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface SecretService {
  address: string;
  dir: string;
  stop(): void;
}

const BUS_CONFIG = (dir: string) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
`;

function need(cmd: string): void {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0)
    throw new Error(`${cmd} is not installed: run \`bash scripts/setup.sh test\` (it installs gnome-keyring and dbus)`);
}

/** The login keyring is the default collection once gnome-keyring has created and unlocked it. */
function defaultCollection(address: string): string {
  const r = spawnSync(
    'dbus-send',
    [
      '--bus=' + address,
      '--print-reply',
      '--dest=org.freedesktop.secrets',
      '/org/freedesktop/secrets',
      'org.freedesktop.Secret.Service.ReadAlias',
      'string:default',
    ],
    { encoding: 'utf8', timeout: 5000 },
  );
  return /object path "([^"]+)"/.exec(r.stdout)?.[1] ?? '';
}

export async function startSecretService(): Promise<SecretService> {
  for (const c of ['dbus-daemon', 'dbus-send', 'gnome-keyring-daemon']) need(c);
  // Short: a Unix socket path is at most 108 bytes.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alss-'));
  fs.writeFileSync(path.join(dir, 'bus.conf'), BUS_CONFIG(dir));
  const bus = spawnSync('dbus-daemon', [`--config-file=${path.join(dir, 'bus.conf')}`, '--fork', '--print-address=1', '--print-pid=1'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  const [address, pidText] = bus.stdout.trim().split('\n');
  if (bus.status !== 0 || !address || !pidText) throw new Error(`dbus-daemon did not start: ${bus.stderr}`);
  const busPid = Number(pidText);
  const home = path.join(dir, 'home');
  fs.mkdirSync(home);
  let keyring: ChildProcess | undefined;
  const stop = () => {
    if (keyring?.exitCode === null) keyring.kill('SIGTERM');
    try {
      process.kill(busPid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    // gnome-keyring reads the login keyring's password from stdin with --unlock. An empty password does not create
    // the login keyring (so there is no default collection and every store fails): a throwaway one does.
    keyring = spawn('gnome-keyring-daemon', ['--unlock', '--components=secrets', '--foreground'], {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        XDG_RUNTIME_DIR: dir,
        XDG_DATA_HOME: path.join(home, 'data'),
        DBUS_SESSION_BUS_ADDRESS: address,
      },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let log = '';
    keyring.stderr!.on('data', (c) => {
      log += String(c);
    });
    keyring.stdin!.end('test-only-password');
    for (const t0 = Date.now(); !defaultCollection(address).includes('/collection/');) {
      if (keyring.exitCode !== null) throw new Error(`gnome-keyring-daemon exited ${keyring.exitCode}: ${log}`);
      if (Date.now() - t0 > 15_000) throw new Error(`gnome-keyring-daemon made no default collection in 15 s: ${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return { address, dir, stop };
  } catch (err) {
    stop();
    throw err;
  }
}
