// A short-lived helper container on a remote engine: the only way to touch its volumes (chown, fill, swap) from here.
import type Docker from 'dockerode';
import { execOutput } from './exec-stream';

export const NODE_IN_IMAGE = '/usr/bin/node';

/** Runs `fn` with a running container of `image` (the kernel image: it has Node), as root, no network, with `binds`
 * (volume:path) and `mounts` (a bind of a path on the engine's host must exist: `Binds` would create it), removed
 * afterwards whatever happens. */
export async function withHelper<T>(
  docker: Docker,
  image: string,
  binds: string[],
  labels: Record<string, string>,
  fn: (c: Docker.Container) => Promise<T>,
  mounts: Docker.MountSettings[] = [],
): Promise<T> {
  const c = await docker.createContainer({
    Image: image,
    User: '0:0',
    Cmd: [NODE_IN_IMAGE, '-e', 'setTimeout(() => {}, 1e9)'],
    Entrypoint: [],
    WorkingDir: '/',
    Labels: { 'airlock.owner': 'airlock', 'airlock.role': 'remote-helper', ...labels },
    HostConfig: {
      Binds: binds,
      Mounts: mounts,
      NetworkMode: 'none',
      AutoRemove: false,
      ReadonlyRootfs: true,
      SecurityOpt: ['no-new-privileges'],
    },
  });
  try {
    await c.start();
    return await fn(c);
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

/** Runs a Node script in the helper (as root); its stdout is the result. */
export function nodeScript(c: Docker.Container, script: string, args: string[] = []): Promise<string> {
  return execOutput(c, [NODE_IN_IMAGE, '-e', script, '--', ...args], { user: '0:0' });
}
