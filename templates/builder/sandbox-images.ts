// Pre-cache step: builds every sandbox template's image offline (Node rootfs or Debian rootfs), with progress lines.
import Docker from 'dockerode';
import type { SandboxTemplate } from '../../kernel/src/runtime/templates';
import { loadTemplates } from '../../kernel/src/runtime/templates';
import { IMAGE_FOR_LABEL } from '../../kernel/src/runtime/types';
import { buildDebianImage, initBinary } from './debian-rootfs';
import { AGENT_NODE } from '../../kernel/src/runtime/types';
import { defaultNodeBinary } from './node-binary';
import { ensureNodeImage } from './node-rootfs';


export interface SandboxImageOptions {
  engine: 'docker' | 'podman';
  socketPath: string;
  templates?: Iterable<SandboxTemplate>;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

/** Builds what the given templates need (each recipe once); returns recipe → image ref. Templates with their own
 * `image` are left alone: the person who named it provides it. */
export async function ensureSandboxImages(o: SandboxImageOptions): Promise<Map<SandboxTemplate['build'], string>> {
  const templates = [...(o.templates ?? loadTemplates().values())];
  const recipes = new Set(templates.filter((t) => !t.image).map((t) => t.build));
  const progress = o.onProgress ?? (() => {});
  const out = new Map<SandboxTemplate['build'], string>();
  for (const recipe of recipes) {
    switch (recipe) {
      case 'node': {
        const docker = new Docker({ socketPath: o.socketPath });
        out.set(recipe, await ensureNodeImage(docker, {
          repo: 'airlock/sandbox-node',
          // tini as PID 1 reaps orphaned processes; the runtime starts the exec agent under it with its own copy of node.
          // Both execute-only: commands (same uid) cannot open their /proc/<pid>/fd or mem (docs/sandboxes.md).
          files: { ...(initBinary() ? { '/usr/bin/tini': initBinary()! } : {}), [AGENT_NODE]: defaultNodeBinary() },
          executeOnly: [...(initBinary() ? ['/usr/bin/tini'] : []), AGENT_NODE],
          changes: ['ENV HOME=/tmp', 'WORKDIR /tmp', 'LABEL airlock.owner=airlock', `LABEL ${IMAGE_FOR_LABEL}=node`],
        }, (l) => progress(`[sandbox-node] ${l}`), o.signal));
        break;
      }
      case 'debian': {
        const r = await buildDebianImage({ engine: o.engine, labels: { [IMAGE_FOR_LABEL]: 'debian' }, onProgress: (l) => progress(`[code-executor] ${l}`), signal: o.signal });
        out.set(recipe, r.ref);
        break;
      }
      default: { const never: never = recipe; throw new Error(`unknown recipe ${String(never)}`); }
    }
  }
  return out;
}

if (require.main === module) {
  const engine = (process.argv[2] ?? process.env.AIRLOCK_ENGINE ?? 'docker') as 'docker' | 'podman';
  // A normal user's Podman is their rootless service (its images live in their own storage).
  const rootless = (process.getuid?.() ?? 0) !== 0 && process.env.XDG_RUNTIME_DIR ? `${process.env.XDG_RUNTIME_DIR}/podman/podman.sock` : undefined;
  const socketPath = process.env.AIRLOCK_ENGINE_SOCKET ?? (engine === 'podman' ? rootless ?? '/run/podman/podman.sock' : '/var/run/docker.sock');
  const t0 = Date.now();
  ensureSandboxImages({ engine, socketPath, onProgress: (l) => console.log(l) })
    .then((m) => { for (const [k, v] of m) console.log(`${k}: ${v}`); console.log(`sandbox images ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`); })
    .catch((e) => { console.error(e); process.exit(1); });
}
