// A second dockerd for remote-engine tests: its own network namespace (veth on a private /30), data/exec roots, and
// a TCP+TLS listener as the only address host clients use. Its unix socket stays in a private dir for the engine itself.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';

export interface RemoteEngine {
  /** What a host client sets to reach the engine: DOCKER_HOST=tcp://ADDR:2376, DOCKER_TLS_VERIFY=1, DOCKER_CERT_PATH. */
  env: { DOCKER_HOST: string; DOCKER_TLS_VERIFY: string; DOCKER_CERT_PATH: string };
  addr: string;
  /** The engine's own unix socket (on the engine's side; the test never connects to it). */
  privateSocket: string;
  dataRoot: string;
  /** A dockerode client over TCP+TLS, like the product's. */
  docker: Docker;
  stop(): Promise<void>;
}

function run(argv: string[], what = argv.join(' ')): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  assert.equal(r.status, 0, `${what} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** CA, server certificate for `addr` (IP SAN, serverAuth) and client certificate (clientAuth), as docs.docker.com shows. */
function makeCertificates(dir: string, addr: string): { server: string; client: string } {
  const server = path.join(dir, 'server');
  const client = path.join(dir, 'client');
  for (const d of [server, client]) fs.mkdirSync(d, { mode: 0o700 });
  const ssl = (...a: string[]) => run(['openssl', ...a], `openssl ${a[0]}`);
  const ca = path.join(dir, 'ca-key.pem');
  ssl('genrsa', '-out', ca, '2048');
  ssl('req', '-new', '-x509', '-days', '2', '-key', ca, '-sha256', '-subj', '/CN=airlock-test-ca', '-out', path.join(server, 'ca.pem'));
  fs.copyFileSync(path.join(server, 'ca.pem'), path.join(client, 'ca.pem'));
  const issue = (out: string, cn: string, ext: string) => {
    ssl('genrsa', '-out', path.join(out, 'key.pem'), '2048');
    ssl('req', '-new', '-key', path.join(out, 'key.pem'), '-subj', `/CN=${cn}`, '-out', path.join(out, 'req.csr'));
    fs.writeFileSync(path.join(out, 'ext.cnf'), ext);
    ssl(
      'x509',
      '-req',
      '-days',
      '2',
      '-sha256',
      '-in',
      path.join(out, 'req.csr'),
      '-CA',
      path.join(server, 'ca.pem'),
      '-CAkey',
      ca,
      '-CAcreateserial',
      '-out',
      path.join(out, 'cert.pem'),
      '-extfile',
      path.join(out, 'ext.cnf'),
    );
  };
  issue(server, addr, `subjectAltName = IP:${addr}\nextendedKeyUsage = serverAuth\n`);
  issue(client, 'airlock-test-client', 'extendedKeyUsage = clientAuth\n');
  return { server, client };
}

/** Starts the engine and waits until it answers over TLS (and only with the client certificate). */
export async function startRemoteEngine(): Promise<RemoteEngine> {
  const tag = crypto.randomBytes(3).toString('hex');
  const ns = `airlock-re-${tag}`;
  const octet = 16 + (crypto.randomBytes(1)[0] % 200);
  const [hostAddr, addr] = [`10.213.${octet}.1`, `10.213.${octet}.2`];
  const [hostIf, nsIf] = [`alh${tag}`, `aln${tag}`];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-remote-'));
  const privateDir = path.join(dir, 'private');
  fs.mkdirSync(privateDir, { mode: 0o700 });
  const privateSocket = path.join(privateDir, 'docker.sock');
  const dataRoot = path.join(dir, 'data');
  let child: ReturnType<typeof spawn> | undefined;
  let docker: Docker | undefined;
  const stop = async () => {
    // Containers first (their mounts and shims), then the daemon, its namespace and its files.
    if (docker) {
      for (const c of await docker.listContainers({ all: true }).catch(() => []))
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
    }
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    spawnSync('ip', ['netns', 'del', ns]);
    spawnSync('ip', ['link', 'del', hostIf]);
    // Whatever the daemon left mounted under its roots (a killed daemon does not unmount), then its files.
    for (const m of fs
      .readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1])
      .filter((p) => p?.startsWith(dir + '/'))
      .reverse()) {
      spawnSync('umount', ['-l', m]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    run(['ip', 'netns', 'add', ns]);
    run(['ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    run(['ip', 'link', 'set', nsIf, 'netns', ns]);
    run(['ip', 'addr', 'add', `${hostAddr}/30`, 'dev', hostIf]);
    run(['ip', 'link', 'set', hostIf, 'up']);
    run(['ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `${addr}/30`, 'dev', nsIf]);
    run(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up']);
    run(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    const certs = makeCertificates(dir, addr);
    const log = fs.openSync(path.join(dir, 'dockerd.log'), 'w');
    // nsenter --net, not `ip netns exec`: the latter remounts /sys for the namespace, hiding the cgroup mounts dockerd needs.
    child = spawn(
      'nsenter',
      [
        `--net=/run/netns/${ns}`,
        'dockerd',
        '--data-root',
        dataRoot,
        '--exec-root',
        path.join(dir, 'exec'),
        '--pidfile',
        path.join(dir, 'docker.pid'),
        '--bridge=none',
        '--iptables=false',
        '--ip-masq=false',
        '-H',
        `unix://${privateSocket}`,
        '-H',
        `tcp://${addr}:2376`,
        '--tlsverify',
        '--tlscacert',
        path.join(certs.server, 'ca.pem'),
        '--tlscert',
        path.join(certs.server, 'cert.pem'),
        '--tlskey',
        path.join(certs.server, 'key.pem'),
      ],
      { stdio: ['ignore', log, log], detached: true },
    );
    fs.closeSync(log);
    const c = certs.client;
    docker = new Docker({
      host: addr,
      port: 2376,
      protocol: 'https',
      ca: fs.readFileSync(path.join(c, 'ca.pem')),
      cert: fs.readFileSync(path.join(c, 'cert.pem')),
      key: fs.readFileSync(path.join(c, 'key.pem')),
      timeout: 10_000,
    });
    const end = Date.now() + 60_000;
    for (;;) {
      if (
        await docker.ping().then(
          () => true,
          () => false,
        )
      )
        break;
      if (child.exitCode !== null || Date.now() > end) {
        throw new Error(
          `the second dockerd did not answer on ${addr}:2376\n${fs.readFileSync(path.join(dir, 'dockerd.log'), 'utf8').slice(-3000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return {
      env: { DOCKER_HOST: `tcp://${addr}:2376`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: c },
      addr,
      privateSocket,
      dataRoot,
      docker,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
