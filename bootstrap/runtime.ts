// Container engine detection: explicit config, DOCKER_HOST / CONTAINER_HOST, then the usual Docker and Podman sockets.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { AirlockError, ErrorCodes } from '../protocol/src/errors';
import type { BootstrapConfig } from './config';

export type EngineKind = 'docker' | 'podman';
/** `rootless`: a Podman service of an ordinary user (its socket is theirs): containers need a keep-id user namespace.
 * `warnings`: what this engine cannot do that Airlock relies on (shown by doctor and the status bar). */
export interface Engine { kind: EngineKind; socket: string; docker: Docker; version: string; rootless: boolean; warnings: string[] }

export function candidateSockets(cfg: Pick<BootstrapConfig, 'runtime' | 'socket'>, env = process.env): Array<{ kind?: EngineKind; socket: string }> {
  const fromUrl = (u?: string) => (u?.startsWith('unix://') ? u.slice('unix://'.length) : undefined);
  const run = env.XDG_RUNTIME_DIR;
  const all: Array<{ kind?: EngineKind; socket?: string }> = [
    { kind: cfg.runtime === 'auto' ? undefined : cfg.runtime, socket: cfg.socket },
    { kind: 'docker', socket: fromUrl(env.DOCKER_HOST) },
    { kind: 'podman', socket: fromUrl(env.CONTAINER_HOST) },
    { kind: 'docker', socket: '/var/run/docker.sock' },
    { kind: 'podman', socket: '/run/podman/podman.sock' },
    { kind: 'podman', socket: run && path.join(run, 'podman', 'podman.sock') },
    { kind: 'docker', socket: path.join(os.homedir(), '.docker', 'run', 'docker.sock') },
  ];
  const seen = new Set<string>();
  return all.filter((c): c is { kind?: EngineKind; socket: string } => !!c.socket && !seen.has(c.socket) && !!seen.add(c.socket))
    .filter((c) => cfg.runtime === 'auto' || !c.kind || c.kind === cfg.runtime);
}

export async function detectEngine(cfg: Pick<BootstrapConfig, 'runtime' | 'socket'>, env = process.env): Promise<Engine> {
  const tried: string[] = [];
  for (const c of candidateSockets(cfg, env)) {
    if (!fs.existsSync(c.socket)) { tried.push(`${c.socket} (absent)`); continue; }
    const docker = new Docker({ socketPath: c.socket, timeout: 5000 });
    try {
      const v = await docker.version();
      const kind: EngineKind = v.Components?.some((x) => /podman/i.test(x.Name)) ? 'podman' : 'docker';
      if (cfg.runtime !== 'auto' && kind !== cfg.runtime) { tried.push(`${c.socket} (is ${kind})`); continue; }
      const rootless = kind === 'podman' && fs.statSync(c.socket).uid !== 0;
      const cgroup = rootless ? String((await docker.info().catch(() => ({})) as { CgroupVersion?: string }).CgroupVersion ?? '') : '';
      const warnings = cgroup === '1' ? ['rootless Podman on cgroup v1 cannot enforce sandbox memory, pids and CPU limits (they are ignored)'] : [];
      return { kind, socket: c.socket, docker, version: v.Version, rootless, warnings };
    } catch (e) {
      tried.push(`${c.socket} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  throw new AirlockError(ErrorCodes.NoRuntime, `no ${cfg.runtime === 'auto' ? 'Docker or Podman' : cfg.runtime} engine answers; tried ${tried.join(', ') || 'nothing'}`,
    'install and start one: `sudo apt-get install -y docker.io && sudo systemctl start docker` (or podman, then `systemctl --user start podman.socket`); or set DOCKER_HOST');
}
