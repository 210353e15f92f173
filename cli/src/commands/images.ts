// `airlock images prepare|list|prune`: the kernel and sandbox images, built by Airlock itself (no checkout, no tsx).
import { parseArgs } from 'node:util';
import { detectEngine, type Engine, readConfig } from '../../../bootstrap';
import { type ImageInfo, listImages, prepareImages, pruneImages } from '../../../templates/builder/images';
import { registryFromEnv, type RegistrySource } from '../../../templates/builder/registry-prepare';
import { publishMain } from './images-publish';
import { baseMain } from './images-base';
import { AirlockError } from '../../../protocol/src/errors';
import type { CliIO, Command } from '../command';

const USAGE = `airlock images prepare [--json]   # build (or find) the kernel image and every sandbox template's image
       airlock images prepare --from-registry HOST[:PORT]/PREFIX [--manifest FILE] [--json]
                                         # pull them by digest instead (AIRLOCK_IMAGE_REGISTRY); never builds
       airlock images publish --registry HOST[:PORT]/PREFIX [--manifest FILE] [--json]
                                         # push the prepared images, write the manifest (default dist/images.json)
       airlock images base --registry HOST[:PORT]/PREFIX [--json]
                                         # make the Debian + Node.js base (root), push it, print AIRLOCK_IMAGE_BASE=…@sha256:…
       airlock images list [--json]      # the images Airlock uses: tag, size, created, in use
       airlock images prune [--all]      # remove this installation's unused images (--all: the newest of each too)`;

export type ImagesAction = 'prepare' | 'list' | 'prune' | 'publish' | 'base';
export interface ImagesArgs {
  action: ImagesAction;
  json: boolean;
  all: boolean;
  fromRegistry?: string;
  registry?: string;
  manifest?: string;
}

function usage(msg: string): AirlockError {
  return new AirlockError('CLI_USAGE', msg, USAGE);
}

/** Strict: an unknown action, option or extra word is a usage error, never ignored. */
export function parseImagesArgs(args: string[]): ImagesArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        all: { type: 'boolean' },
        'from-registry': { type: 'string' },
        registry: { type: 'string' },
        manifest: { type: 'string' },
      },
    });
  } catch (err) {
    throw usage((err as Error).message);
  }
  const [action, ...extra] = parsed.positionals;
  const v = parsed.values;
  if (action !== 'prepare' && action !== 'list' && action !== 'prune' && action !== 'publish' && action !== 'base')
    throw usage(`unknown images action ${JSON.stringify(action ?? '')}`);
  if (extra.length) throw usage(`unexpected ${JSON.stringify(extra.join(' '))}`);
  if (v.all && action !== 'prune') throw usage('--all is for prune');
  if (v.json && action === 'prune') throw usage('--json is for prepare and list (and publish, base)');
  if (v['from-registry'] !== undefined && action !== 'prepare') throw usage('--from-registry is for prepare');
  if (v.registry !== undefined && action !== 'publish' && action !== 'base')
    throw usage('--registry is for publish and base (prepare takes --from-registry)');
  if (v.manifest !== undefined && action !== 'prepare' && action !== 'publish') throw usage('--manifest is for prepare and publish');
  if ((action === 'publish' || action === 'base') && !v.registry) throw usage(`${action} needs --registry HOST[:PORT]/PREFIX`);
  return {
    action,
    json: v.json ?? false,
    all: v.all ?? false,
    ...(v['from-registry'] !== undefined ? { fromRegistry: v['from-registry'] } : {}),
    ...(v.registry !== undefined ? { registry: v.registry } : {}),
    ...(v.manifest !== undefined ? { manifest: v.manifest } : {}),
  };
}

export function formatSize(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${Math.round(bytes / 1024 ** 2)} MB`;
}

export function formatImage(i: ImageInfo): string {
  const created = new Date(i.created * 1000).toISOString().replace('T', ' ').slice(0, 16);
  const use = i.containers ? `in use (${i.containers} container${i.containers > 1 ? 's' : ''})` : 'unused';
  const owner = i.mine ? 'this installation' : i.installation ? `installation ${i.installation}` : 'no installation label';
  return `${i.kind.padEnd(14)} ${(i.tags[0] ?? i.id.slice(7, 19)).padEnd(44)} ${formatSize(i.size).padStart(8)}  ${created}  ${use.padEnd(22)} ${owner}`;
}

export interface ImagesDeps {
  engine(): Promise<Engine>;
  /** AIRLOCK_KERNEL_IMAGE from the config: used as it is. */
  kernelImage(): string | undefined;
  /** Aborted by Ctrl-C while preparing. */
  onInterrupt(abort: () => void): () => void;
}

/** The registry to prepare from: the flags, else AIRLOCK_IMAGE_REGISTRY / AIRLOCK_IMAGE_MANIFEST; undefined builds locally. */
export function prepareSource(a: ImagesArgs, env: NodeJS.ProcessEnv): RegistrySource | undefined {
  if (a.fromRegistry !== undefined || a.manifest !== undefined) return { from: a.fromRegistry, manifest: a.manifest };
  return registryFromEnv(env);
}

export async function imagesMain(args: string[], io: CliIO, deps: ImagesDeps): Promise<number> {
  const a = parseImagesArgs(args);
  const engine = await deps.engine();
  switch (a.action) {
    case 'publish':
      return publishMain(a, io, engine, deps);
    case 'base':
      return baseMain(a, io, engine, deps);
    case 'prepare': {
      const ctl = new AbortController();
      const off = deps.onInterrupt(() =>
        ctl.abort(new AirlockError('CANCELLED', 'image preparation cancelled (Ctrl-C)', 'run `airlock images prepare` again')),
      );
      const t0 = Date.now();
      try {
        const registry = prepareSource(a, io.env);
        const ready = await prepareImages(engine, {
          kernelImage: deps.kernelImage(),
          signal: ctl.signal,
          registry,
          env: io.env,
          progress: (l) => {
            if (!a.json) io.out(l);
          },
        });
        if (a.json) io.out(JSON.stringify({ engine: engine.kind, images: ready }, null, 2));
        else io.out(`images ready on ${engine.kind} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return 0;
      } catch (err) {
        if (!ctl.signal.aborted) throw err;
        io.err('airlock: image preparation cancelled; nothing half-built was kept (run `airlock images prepare` again)');
        return 130;
      } finally {
        off();
      }
    }
    case 'list': {
      const images = await listImages(engine);
      if (a.json) {
        io.out(JSON.stringify({ engine: engine.kind, images }, null, 2));
        return 0;
      }
      if (!images.length) {
        io.out(`no Airlock images on ${engine.kind}: run \`airlock images prepare\``);
        return 0;
      }
      for (const i of images) io.out(formatImage(i));
      const missing = (['kernel', 'sandbox-node', 'code-executor'] as const).filter((k) => !images.some((i) => i.kind === k));
      if (missing.length) io.out(`missing: ${missing.join(', ')} (\`airlock images prepare\` builds them)`);
      return 0;
    }
    case 'prune': {
      const r = await pruneImages(engine, { all: a.all });
      for (const i of r.removed) io.out(`removed ${i.kind} ${i.tags[0] ?? i.id} (${formatSize(i.size)})`);
      const freed = r.removed.reduce((n, i) => n + i.size, 0);
      io.out(
        `removed ${r.removed.length} image(s), ${formatSize(freed)}; kept ${r.kept.length} (in use, newest, or another installation's)`,
      );
      return 0;
    }
    default: {
      const never: never = a.action;
      return never;
    }
  }
}

export const images: Command = {
  name: 'images',
  summary: 'prepare (build, find or pull by digest), publish, list and prune the kernel and sandbox images',
  usage: USAGE,
  run(args, io) {
    // Read only once the arguments are known good: a typo is a usage error whatever the config says.
    const config = () => readConfig({ workspace: io.cwd }, io.env);
    return imagesMain(args, io, {
      engine: () => detectEngine(config(), io.env),
      kernelImage: () => config().image,
      onInterrupt: (abort) => {
        process.once('SIGINT', abort);
        return () => process.off('SIGINT', abort);
      },
    });
  },
};
