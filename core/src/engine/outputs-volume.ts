// The kernel's outputs volume: one tmpfs per workspace holding every task's output dirs, so a filesystem caps them.
import type { BootstrapConfig, Paths } from '../config/bootstrap';
import type { Engine } from './detect';

export interface OutputsVolume {
  name: string;
  mountpoint: string;
  options: string;
  bytes: number;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

export function parseSize(s: string): number {
  const m = /^(\d+)([kmg]?)$/i.exec(s);
  if (!m) throw new Error(`not a size: ${s}`);
  return Number(m[1]) * UNITS[m[2].toLowerCase()];
}

/** tmpfs options. Podman reads `size=` in a local volume's options as an XFS quota request, so there the size goes in
 * pages (`nr_blocks`, 4 KiB pages). nosuid,nodev: the kernel reads these files directly. */
export function outputsOptions(kind: Engine['kind'], cfg: BootstrapConfig, user: { uid: number; gid: number }): string {
  const bytes = parseSize(cfg.outputsSize);
  const size = kind === 'podman' ? `nr_blocks=${Math.ceil(bytes / 4096)}` : `size=${bytes}`;
  return `${size},nr_inodes=${cfg.outputsInodes},uid=${user.uid},gid=${user.gid},mode=0700,nosuid,nodev`;
}

const notFound = (e: { statusCode?: number }) => {
  if (e.statusCode !== 404) throw e;
  return undefined;
};

/** Creates the outputs volume, or replaces one made with other options (size, inodes, owner): the kernel container
 * that uses it (`kernel`) is removed first, it is replaced anyway since the options are part of its fit. */
export async function ensureOutputsVolume(
  engine: Engine,
  cfg: BootstrapConfig,
  paths: Paths,
  user: { uid: number; gid: number },
  kernel: string,
  say: (l: string) => void,
): Promise<OutputsVolume> {
  const name = `airlock-outputs-${paths.id}`;
  // Rootless Podman mounts it in the person's user namespace, where they are uid 0 (keep-id maps that back to them).
  const o = outputsOptions(engine.kind, cfg, engine.rootless ? { uid: 0, gid: 0 } : user);
  const vol = engine.docker.getVolume(name);
  let info = await vol.inspect().catch(notFound);
  if (info && info.Options?.o !== o) {
    say(`replacing the kernel container and its outputs volume ${name}: options ${info.Options?.o} → ${o}`);
    await engine.docker.getContainer(kernel).remove({ force: true }).catch(notFound);
    await vol.remove();
    info = undefined;
  }
  if (!info) {
    await engine.docker.createVolume({
      Name: name,
      Driver: 'local',
      DriverOpts: { type: 'tmpfs', device: 'tmpfs', o },
      Labels: { 'airlock.owner': 'airlock', 'airlock.role': 'outputs', 'airlock.workspace': cfg.workspace },
    });
    info = await vol.inspect();
  }
  return { name, mountpoint: info.Mountpoint, options: o, bytes: parseSize(cfg.outputsSize) };
}
