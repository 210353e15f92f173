// What Airlock holds on this machine (every installation's): containers, volumes, images, and disk used by state.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { folderBytes, STATE_FOLDER } from '../../../core/src/gc/record';
import { formatSize } from '../commands/images';

export interface Holdings {
  /** undefined when no engine answered. */
  engine?: { containers: number; running: number; volumes: number; images: number; imageBytes: number };
  state: { root: string; workspaces: number; bytes: number };
}

export async function machineHoldings(docker: Docker | undefined, stateBase: string): Promise<Holdings> {
  const folders = fs.existsSync(stateBase) ? fs.readdirSync(stateBase).filter((d) => STATE_FOLDER.test(d)) : [];
  const state = {
    root: stateBase,
    workspaces: folders.length,
    bytes: folders.reduce((n, d) => n + folderBytes(path.join(stateBase, d)), 0),
  };
  if (!docker) return { state };
  const owned = { label: ['airlock.owner=airlock'] };
  try {
    const [cs, vs, is] = await Promise.all([
      docker.listContainers({ all: true, filters: owned }),
      docker.listVolumes({ filters: owned }),
      docker.listImages({ filters: owned }),
    ]);
    return {
      state,
      engine: {
        containers: cs.length,
        running: cs.filter((c) => c.State === 'running').length,
        volumes: vs.Volumes?.length ?? 0,
        images: is.length,
        imageBytes: is.reduce((n, i) => n + i.Size, 0),
      },
    };
  } catch {
    return { state };
  }
}

export function formatHoldings(h: Holdings): string {
  const e = h.engine;
  const engine = e
    ? `${e.containers} container(s) (${e.running} running), ${e.volumes} volume(s), ${e.images} image(s) (${formatSize(e.imageBytes)})`
    : 'engine not reachable';
  return `holds     ${engine}; state ${formatSize(h.state.bytes)} for ${h.state.workspaces} workspace(s) in ${h.state.root} (\`airlock gc\` removes leftovers)`;
}
