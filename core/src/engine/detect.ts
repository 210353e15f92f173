// Container engine detection: explicit config, DOCKER_HOST / CONTAINER_HOST, then the usual Docker and Podman sockets.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { dockerContextHost, type EngineEndpoint, parseEngineHost, platformDefaults } from '../../../protocol/src/node/engine-endpoint';
import type { BootstrapConfig } from '../config/bootstrap';

export type EngineKind = 'docker' | 'podman';
/** `rootless`: a Podman service of an ordinary user (its socket is theirs): containers need a keep-id user namespace.
 * `warnings`: what this engine cannot do that Airlock relies on (shown by doctor and the status bar). */
export interface Engine {
  kind: EngineKind;
  socket: string;
  endpoint?: EngineEndpoint;
  docker: Docker;
  version: string;
  rootless: boolean;
  warnings: string[];
}

export interface Candidate {
  kind?: EngineKind;
  socket: string;
  endpoint: EngineEndpoint;
}

/** Where to look, in order: the configured socket, DOCKER_HOST, CONTAINER_HOST, the docker context, the platform's
 * usual sockets (unix, Windows named pipes, Docker Desktop's locations). Addresses that do not parse are skipped. */
export function candidateSockets(
  cfg: Pick<BootstrapConfig, 'runtime' | 'socket'>,
  env = process.env,
  platform = process.platform,
  home = os.homedir(),
): Candidate[] {
  const ctx = dockerContextHost(env, home);
  const all: Array<{ kind?: EngineKind; url?: string; certDir?: string }> = [
    { kind: cfg.runtime === 'auto' ? undefined : cfg.runtime, url: cfg.socket },
    { kind: 'docker', url: env.DOCKER_HOST },
    { kind: 'podman', url: env.CONTAINER_HOST },
    { kind: 'docker', url: ctx?.host, certDir: ctx?.certDir },
    ...platformDefaults(platform, env, home),
  ];
  const out: Candidate[] = [];
  for (const c of all) {
    if (!c.url) continue;
    let endpoint: EngineEndpoint;
    try {
      endpoint = parseEngineHost(c.url, c.certDir ? { ...env, DOCKER_CERT_PATH: c.certDir } : env, home);
    } catch {
      continue;
    }
    const socket = endpoint.type === 'unix' || endpoint.type === 'npipe' ? endpoint.path : c.url;
    if (out.some((o) => o.socket === socket) || (cfg.runtime !== 'auto' && c.kind && c.kind !== cfg.runtime)) continue;
    out.push({ kind: c.kind, socket, endpoint });
  }
  return out;
}

/** dockerode's connection options for an endpoint (TLS material read from disk; ssh through the person's agent). */
function connect(e: EngineEndpoint): Docker {
  switch (e.type) {
    case 'unix':
    case 'npipe':
      return new Docker({ socketPath: e.path, timeout: 5000 });
    case 'tcp':
      return new Docker({
        host: e.host,
        port: e.port,
        timeout: 5000,
        ...(e.tls
          ? { protocol: 'https', ca: fs.readFileSync(e.tls.ca), cert: fs.readFileSync(e.tls.cert), key: fs.readFileSync(e.tls.key) }
          : { protocol: 'http' }),
      });
    case 'ssh':
      return new Docker({ protocol: 'ssh', host: e.host, port: e.port, username: e.user, timeout: 5000 } as Docker.DockerOptions);
    default: {
      const never: never = e;
      throw new Error(`unknown endpoint ${String(never)}`);
    }
  }
}

export async function detectEngine(cfg: Pick<BootstrapConfig, 'runtime' | 'socket'>, env = process.env): Promise<Engine> {
  const tried: string[] = [];
  for (const c of candidateSockets(cfg, env)) {
    if (c.endpoint.type === 'unix' && !fs.existsSync(c.socket)) {
      tried.push(`${c.socket} (absent)`);
      continue;
    }
    try {
      const docker = connect(c.endpoint);
      const v = await docker.version();
      const kind: EngineKind = v.Components?.some((x) => /podman/i.test(x.Name)) ? 'podman' : 'docker';
      if (cfg.runtime !== 'auto' && kind !== cfg.runtime) {
        tried.push(`${c.socket} (is ${kind})`);
        continue;
      }
      const rootless = kind === 'podman' && c.endpoint.type === 'unix' && fs.statSync(c.socket).uid !== 0;
      const cgroup = rootless ? String(((await docker.info().catch(() => ({}))) as { CgroupVersion?: string }).CgroupVersion ?? '') : '';
      const warnings =
        cgroup === '1' ? ['rootless Podman on cgroup v1 cannot enforce sandbox memory, pids and CPU limits (they are ignored)'] : [];
      return { kind, socket: c.socket, endpoint: c.endpoint, docker, version: v.Version, rootless, warnings };
    } catch (e) {
      tried.push(`${c.socket} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  throw new AirlockError(
    ErrorCodes.NoRuntime,
    `no ${cfg.runtime === 'auto' ? 'Docker or Podman' : cfg.runtime} engine answers; tried ${tried.join(', ') || 'nothing'}`,
    'install and start one: `sudo apt-get install -y docker.io && sudo systemctl start docker` (or podman, then `systemctl --user start podman.socket`); or set DOCKER_HOST',
  );
}
