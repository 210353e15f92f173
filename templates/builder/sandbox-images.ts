// Builds every sandbox template's image offline (Node rootfs or Debian rootfs), with progress lines; host-side only
// (no kernel code), so the CLI and the extension build the images themselves (`airlock images prepare`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import YAML from 'yaml';
import { AirlockError } from '../../protocol/src/errors';
import { AGENT_NODE, IMAGE_FOR_LABEL, type ImageRecipe, TemplateImageFields } from '../../protocol/src/images';
import { assets } from '../../protocol/src/node/assets';
import { buildDebianImage, initBinary } from './debian-rootfs';
import { defaultNodeBinary } from './node-binary';
import { ensureNodeImage } from './node-rootfs';

export interface SandboxImageOptions {
  engine: 'docker' | 'podman';
  socketPath: string;
  /** The templates' image fields; by default read from the sandbox templates folder (AIRLOCK_TEMPLATES_DIR or shipped). */
  templates?: Iterable<TemplateImageFields>;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  /** Who builds them (image label; `airlock images prune` removes only its own): this installation by default. */
  installation?: string;
}

/** The image fields of every template in `dir` (the kernel validates the rest of each template when it loads it). */
export function templateImages(dir = assets().sandboxTemplatesDir): TemplateImageFields[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const r = TemplateImageFields.safeParse(YAML.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
      if (!r.success)
        throw new AirlockError(
          'TEMPLATE_INVALID',
          `${f}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          'see docs/sandboxes.md for the template fields',
        );
      return r.data;
    });
}

/** Builds what the given templates need (each recipe once); returns recipe → image ref. Templates with their own
 * `image` are left alone: the person who named it provides it. */
export async function ensureSandboxImages(o: SandboxImageOptions): Promise<Map<ImageRecipe, string>> {
  const templates = [...(o.templates ?? templateImages())];
  const recipes = new Set(templates.filter((t) => !t.image).map((t) => t.build));
  const progress = o.onProgress ?? (() => {});
  const out = new Map<ImageRecipe, string>();
  for (const recipe of recipes) {
    o.signal?.throwIfAborted();
    switch (recipe) {
      case 'node': {
        const docker = new Docker({ socketPath: o.socketPath });
        out.set(
          recipe,
          await ensureNodeImage(
            docker,
            {
              repo: 'airlock/sandbox-node',
              // tini as PID 1 reaps orphaned processes; the runtime starts the exec agent under it with its own copy of node.
              // Both execute-only: commands (same uid) cannot open their /proc/<pid>/fd or mem (docs/sandboxes.md).
              files: { ...(initBinary() ? { '/usr/bin/tini': initBinary()! } : {}), [AGENT_NODE]: defaultNodeBinary() },
              executeOnly: [...(initBinary() ? ['/usr/bin/tini'] : []), AGENT_NODE],
              changes: ['ENV HOME=/tmp', 'WORKDIR /tmp', 'LABEL airlock.owner=airlock', `LABEL ${IMAGE_FOR_LABEL}=node`],
              installation: o.installation,
            },
            (l) => progress(`[sandbox-node] ${l}`),
            o.signal,
          ),
        );
        break;
      }
      case 'debian': {
        const r = await buildDebianImage({
          engine: o.engine,
          labels: { [IMAGE_FOR_LABEL]: 'debian' },
          installation: o.installation,
          onProgress: (l) => progress(`[code-executor] ${l}`),
          signal: o.signal,
        });
        out.set(recipe, r.ref);
        break;
      }
      default: {
        const never: never = recipe;
        throw new Error(`unknown recipe ${String(never)}`);
      }
    }
  }
  return out;
}
