// Test beds for the registry paths: Debian's docker-registry on a free loopback port with its own storage and config,
// and a second dockerd (own data and exec roots, own unix socket, its own bridge) whose image store starts empty.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { privateBridge } from '../private-bridge';
import Docker from 'dockerode';

export interface Proc {
  dir: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net
      .createServer()
      .once('error', reject)
      .listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
  });
}

export async function until(what: string, ok: () => Promise<boolean>, child: ChildProcess, log: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (child.exitCode !== null || Date.now() > end)
      throw new Error(`${what} did not start:\n${fs.readFileSync(log, 'utf8').slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** `docker-registry serve` on 127.0.0.1:<free port> (Docker trusts 127.0.0.0/8 without TLS). */
export async function startRegistry(): Promise<Proc & { host: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-registry-'));
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(
    config,
    [
      'version: 0.1',
      'log: { level: warn }',
      `storage: { filesystem: { rootdirectory: ${path.join(dir, 'data')} }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}" }`,
      '',
    ].join('\n'),
  );
  const log = path.join(dir, 'registry.log');
  const fd = fs.openSync(log, 'w');
  const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const host = `127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      'docker-registry',
      () =>
        fetch(`http://${host}/v2/`).then(
          (r) => r.ok,
          () => false,
        ),
      child,
      log,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { dir, host, stop };
}

/** How long a private dockerd's restart took: stopping it (its containers first), and answering again once launched. */
export interface EngineRestart {
  stopMs: number;
  startMs: number;
  /** The engine's own lines about containers it had to kill while stopping (they ignored SIGTERM). */
  forced: string[];
}

/** A private dockerd with an empty image store, reached only through its own unix socket; `extraArgs` adds flags
 * (e.g. a `--config-file` registering OCI runtimes). */
export async function startCleanDockerd(
  extraArgs: string[] = [],
): Promise<Proc & { socket: string; docker: Docker; restart(downMs: number): Promise<EngineRestart> }> {
  const dir = fs.mkdtempSync('/tmp/al-dd-'); // short: the socket path must fit in sun_path
  const socket = path.join(dir, 'docker.sock');
  const log = path.join(dir, 'dockerd.log');
  const bridge = privateBridge(); // not --bridge=none: that deletes the main engine's docker0
  const launch = () => {
    const fd = fs.openSync(log, 'a');
    const c = spawn(
      '/usr/sbin/dockerd',
      [
        '--data-root',
        path.join(dir, 'data'),
        '--exec-root',
        path.join(dir, 'x'),
        '--pidfile',
        path.join(dir, 'docker.pid'),
        bridge.flag,
        '--iptables=false',
        '--ip-masq=false',
        '-H',
        `unix://${socket}`,
        ...extraArgs,
      ],
      { stdio: ['ignore', fd, fd] },
    );
    fs.closeSync(fd);
    return c;
  };
  let child = launch();
  const docker = new Docker({ socketPath: socket });
  const stop = async () => {
    for (const c of await docker.listContainers({ all: true }).catch(() => []))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    await stopChild(child);
    for (const m of fs
      .readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1])
      .filter((p) => p?.startsWith(`${dir}/`))
      .reverse()) {
      spawnSync('umount', ['-l', m]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    bridge.remove();
  };
  /** The engine goes away as in `systemctl restart docker` (SIGTERM stops its containers), stays down `downMs`, comes back. */
  const restart = async (downMs: number): Promise<EngineRestart> => {
    const t0 = Date.now();
    const from = fs.statSync(log).size;
    await stopChild(child);
    const stopMs = Date.now() - t0;
    const forced = fs
      .readFileSync(log, 'utf8')
      .slice(from)
      .split('\n')
      .filter((l) => /failed to exit within|using the force/.test(l));
    await new Promise((r) => setTimeout(r, downMs));
    const t1 = Date.now();
    child = launch();
    await until(
      'the second dockerd again',
      () =>
        docker.ping().then(
          () => true,
          () => false,
        ),
      child,
      log,
    );
    return { stopMs, startMs: Date.now() - t1, forced };
  };
  try {
    await until(
      'the second dockerd',
      () =>
        docker.ping().then(
          () => true,
          () => false,
        ),
      child,
      log,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { dir, socket, docker, stop, restart };
}
