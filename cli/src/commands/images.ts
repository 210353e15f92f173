// `airlock images prepare|list|prune`: the kernel and sandbox images, built by Airlock itself (no checkout, no tsx).
import { parseArgs } from 'node:util';
import { detectEngine, type Engine, readConfig } from '../../../bootstrap';
import { type ImageInfo, listImages, prepareImages, pruneImages } from '../../../templates/builder/images';
import { AirlockError } from '../../../protocol/src/errors';
import type { CliIO, Command } from '../command';

const USAGE = `airlock images prepare [--json]   # build (or find) the kernel image and every sandbox template's image
       airlock images list [--json]      # the images Airlock uses: tag, size, created, in use
       airlock images prune [--all]      # remove this installation's unused images (--all: the newest of each too)`;

export type ImagesAction = 'prepare' | 'list' | 'prune';
export interface ImagesArgs { action: ImagesAction; json: boolean; all: boolean }

function usage(msg: string): AirlockError { return new AirlockError('CLI_USAGE', msg, USAGE); }

/** Strict: an unknown action, option or extra word is a usage error, never ignored. */
export function parseImagesArgs(args: string[]): ImagesArgs {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, all: { type: 'boolean' } } });
  } catch (err) { throw usage((err as Error).message); }
  const [action, ...extra] = parsed.positionals;
  if (action !== 'prepare' && action !== 'list' && action !== 'prune') throw usage(`unknown images action ${JSON.stringify(action ?? '')}`);
  if (extra.length) throw usage(`unexpected ${JSON.stringify(extra.join(' '))}`);
  if (parsed.values.all && action !== 'prune') throw usage('--all is for prune');
  if (parsed.values.json && action === 'prune') throw usage('--json is for prepare and list');
  return { action, json: parsed.values.json ?? false, all: parsed.values.all ?? false };
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

export async function imagesMain(args: string[], io: CliIO, deps: ImagesDeps): Promise<number> {
  const a = parseImagesArgs(args);
  const engine = await deps.engine();
  switch (a.action) {
    case 'prepare': {
      const ctl = new AbortController();
      const off = deps.onInterrupt(() => ctl.abort(new AirlockError('CANCELLED', 'image preparation cancelled (Ctrl-C)',
        'run `airlock images prepare` again')));
      const t0 = Date.now();
      try {
        const ready = await prepareImages(engine, { kernelImage: deps.kernelImage(), signal: ctl.signal,
          progress: (l) => { if (!a.json) io.out(l); } });
        if (a.json) io.out(JSON.stringify({ engine: engine.kind, images: ready }, null, 2));
        else io.out(`images ready on ${engine.kind} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return 0;
      } catch (err) {
        if (!ctl.signal.aborted) throw err;
        io.err('airlock: image preparation cancelled; nothing half-built was kept (run `airlock images prepare` again)');
        return 130;
      } finally { off(); }
    }
    case 'list': {
      const images = await listImages(engine);
      if (a.json) { io.out(JSON.stringify({ engine: engine.kind, images }, null, 2)); return 0; }
      if (!images.length) { io.out(`no Airlock images on ${engine.kind}: run \`airlock images prepare\``); return 0; }
      for (const i of images) io.out(formatImage(i));
      const missing = (['kernel', 'sandbox-node', 'code-executor'] as const).filter((k) => !images.some((i) => i.kind === k));
      if (missing.length) io.out(`missing: ${missing.join(', ')} (\`airlock images prepare\` builds them)`);
      return 0;
    }
    case 'prune': {
      const r = await pruneImages(engine, { all: a.all });
      for (const i of r.removed) io.out(`removed ${i.kind} ${i.tags[0] ?? i.id} (${formatSize(i.size)})`);
      const freed = r.removed.reduce((n, i) => n + i.size, 0);
      io.out(`removed ${r.removed.length} image(s), ${formatSize(freed)}; kept ${r.kept.length} (in use, newest, or another installation's)`);
      return 0;
    }
    default: { const never: never = a.action; return never; }
  }
}

export const images: Command = {
  name: 'images',
  summary: 'prepare (build or find), list and prune the kernel and sandbox images',
  usage: USAGE,
  run(args, io) {
    // Read only once the arguments are known good: a typo is a usage error whatever the config says.
    const config = () => readConfig({ workspace: io.cwd }, io.env);
    return imagesMain(args, io, {
      engine: () => detectEngine(config(), io.env),
      kernelImage: () => config().image,
      onInterrupt: (abort) => { process.once('SIGINT', abort); return () => process.off('SIGINT', abort); },
    });
  },
};
