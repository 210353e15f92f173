// Where a container engine answers: DOCKER_HOST / CONTAINER_HOST forms (unix, npipe, tcp with or without TLS, ssh),
// the docker context in use, and each platform's usual sockets. Parsing only: bootstrap connects and probes.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../errors';

export type EngineEndpoint =
  | { type: 'unix'; path: string }
  | { type: 'npipe'; path: string }
  | { type: 'tcp'; host: string; port: number; tls: { ca: string; cert: string; key: string } | null }
  | { type: 'ssh'; host: string; port: number; user?: string };

/** `unix:///run/x.sock`, `npipe:////./pipe/docker_engine`, `tcp://h:2376`, `ssh://user@h:22`, or a bare socket path.
 * TLS for tcp: DOCKER_TLS_VERIFY=1 (or port 2376) with certificates from DOCKER_CERT_PATH (default ~/.docker). */
export function parseEngineHost(url: string, env: NodeJS.ProcessEnv = {}, home = env.HOME ?? ''): EngineEndpoint {
  const bad = (why: string) =>
    new AirlockError(
      ErrorCodes.Config,
      `engine address ${JSON.stringify(url)} ${why}`,
      'use unix:///path/to.sock, npipe:////./pipe/NAME, tcp://HOST:PORT (TLS: DOCKER_TLS_VERIFY=1, DOCKER_CERT_PATH) or ssh://USER@HOST',
    );
  if (/[\0\s]/.test(url)) throw bad('contains spaces or control characters');
  if (url.startsWith('/')) return { type: 'unix', path: url };
  const m = /^([a-z]+):\/\/(.*)$/.exec(url);
  if (!m) throw bad('is not a URL or an absolute socket path');
  const [, scheme, rest] = m;
  switch (scheme) {
    case 'unix':
      if (!rest.startsWith('/')) throw bad('needs an absolute path');
      return { type: 'unix', path: rest };
    case 'npipe': {
      // npipe:////./pipe/docker_engine → \\.\pipe\docker_engine
      const p = rest.replace(/\//g, '\\');
      if (!/^\\\\[.\w-]+\\pipe\\[\w.-]+$/.test(p)) throw bad('is not a named pipe (npipe:////./pipe/NAME)');
      return { type: 'npipe', path: p };
    }
    case 'tcp':
    case 'http':
    case 'https': {
      const u = new URL(`http://${rest}`);
      if (!u.hostname || u.username || u.password) throw bad('needs HOST:PORT without credentials');
      const port = Number(u.port || (scheme === 'https' ? 2376 : 2375));
      const verify = (env.DOCKER_TLS_VERIFY ?? '') !== '' && env.DOCKER_TLS_VERIFY !== '0';
      const dir = env.DOCKER_CERT_PATH || path.join(home, '.docker');
      const certs = { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
      const tls = verify || scheme === 'https' || port === 2376 ? certs : null;
      return { type: 'tcp', host: u.hostname, port, tls };
    }
    case 'ssh': {
      const u = new URL(`ssh://${rest}`);
      if (!u.hostname || u.password) throw bad('needs ssh://[USER@]HOST[:PORT] (keys from your ssh agent, no password)');
      return { type: 'ssh', host: u.hostname, port: Number(u.port || 22), user: u.username || undefined };
    }
    default:
      throw bad(`has an unknown scheme ${scheme}://`);
  }
}

/** The docker context in use (DOCKER_CONTEXT, else ~/.docker/config.json's currentContext): its engine address and the
 * TLS material Docker keeps for it; undefined for the default context or when there is none. */
export function dockerContextHost(env: NodeJS.ProcessEnv, home: string): { host: string; certDir?: string } | undefined {
  let name = env.DOCKER_CONTEXT;
  if (!name) {
    try {
      name = (JSON.parse(fs.readFileSync(path.join(home, '.docker', 'config.json'), 'utf8')) as { currentContext?: string }).currentContext;
    } catch {
      return undefined;
    }
  }
  if (!name || name === 'default') return undefined;
  const id = createHash('sha256').update(name).digest('hex');
  try {
    type Meta = { Endpoints?: { docker?: { Host?: string } } };
    const meta = JSON.parse(fs.readFileSync(path.join(home, '.docker', 'contexts', 'meta', id, 'meta.json'), 'utf8')) as Meta;
    const host = meta.Endpoints?.docker?.Host;
    if (!host) return undefined;
    const certDir = path.join(home, '.docker', 'contexts', 'tls', id, 'docker');
    return { host, certDir: fs.existsSync(certDir) ? certDir : undefined };
  } catch {
    return undefined;
  }
}

/** Each platform's usual engine addresses, most specific first (after DOCKER_HOST, CONTAINER_HOST and the context). */
export function platformDefaults(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  home: string,
): Array<{ kind?: 'docker' | 'podman'; url: string }> {
  switch (platform) {
    case 'win32':
      return [
        { kind: 'docker', url: 'npipe:////./pipe/docker_engine' },
        { kind: 'podman', url: 'npipe:////./pipe/podman-machine-default' },
      ];
    case 'darwin':
      return [
        { kind: 'docker', url: `unix://${path.join(home, '.docker', 'run', 'docker.sock')}` }, // Docker Desktop
        { kind: 'docker', url: 'unix:///var/run/docker.sock' },
        { kind: 'docker', url: `unix://${path.join(home, '.colima', 'default', 'docker.sock')}` },
        { kind: 'podman', url: `unix://${path.join(home, '.local', 'share', 'containers', 'podman', 'machine', 'podman.sock')}` },
      ];
    default:
      return [
        { kind: 'docker', url: 'unix:///var/run/docker.sock' },
        { kind: 'podman', url: 'unix:///run/podman/podman.sock' },
        ...(env.XDG_RUNTIME_DIR
          ? [{ kind: 'podman' as const, url: `unix://${path.join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock')}` }]
          : []),
        { kind: 'docker', url: `unix://${path.join(home, '.docker', 'desktop', 'docker.sock')}` }, // Docker Desktop for Linux
        { kind: 'docker', url: `unix://${path.join(home, '.docker', 'run', 'docker.sock')}` },
      ];
  }
}
