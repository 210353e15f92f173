// Whether a running kernel container fits what this start needs: its fit hash, and the reason it is replaced if not.
import * as crypto from 'node:crypto';
import type Docker from 'dockerode';

/** Everything a running kernel must agree with to be reused: image, user, environment, mounts, limits, and the
 * workspace's identity (labels included). */
export function fitHash(o: Docker.ContainerCreateOptions): string {
  const h = o.HostConfig ?? {};
  const fit = {
    image: o.Image,
    user: o.User,
    env: o.Env,
    labels: o.Labels,
    binds: h.Binds,
    net: h.NetworkMode,
    mem: h.Memory,
    pids: h.PidsLimit,
  };
  return crypto.createHash('sha256').update(JSON.stringify(fit)).digest('hex').slice(0, 32);
}

/** Why a kernel container that does not fit is replaced, as the start says it. */
export function misfit(labels: Record<string, string>, user: string | undefined, o: Docker.ContainerCreateOptions): string {
  const want = o.Labels!;
  if (labels['airlock.workspace-id'] !== want['airlock.workspace-id'])
    return 'the workspace folder was replaced (another folder at the same path)';
  if (labels['airlock.image'] !== want['airlock.image']) return `its image differs (${labels['airlock.image']} → ${want['airlock.image']})`;
  if (user !== o.User) return `it runs as ${user}, this kernel needs ${o.User}`;
  return 'its configuration differs';
}
