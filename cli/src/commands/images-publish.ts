// `airlock images publish --registry HOST[:PORT]/PREFIX`: prepare (build or find) the images, push each by its recipe
// hash tag, and write the images manifest (name@sha256:digest per image, this version and commit) a release ships.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../../../bootstrap';
import { AirlockError } from '../../../protocol/src/errors';
import { IMAGE_MANIFEST_ENV, IMAGE_REGISTRY_ENV } from '../../../protocol/src/images';
import { prepareImages } from '../../../templates/builder/images';
import { defaultManifestPath, publishImages, release } from '../../../templates/builder/registry';
import type { CliIO } from '../command';
import type { ImagesArgs, ImagesDeps } from './images';

export async function publishMain(a: ImagesArgs, io: CliIO, engine: Engine, deps: ImagesDeps): Promise<number> {
  const ctl = new AbortController();
  const off = deps.onInterrupt(() =>
    ctl.abort(new AirlockError('CANCELLED', 'publishing cancelled (Ctrl-C)', 'run `airlock images publish` again')),
  );
  const say = (l: string) => {
    if (!a.json) io.out(l);
  };
  const file = path.resolve(io.cwd, a.manifest ?? defaultManifestPath());
  try {
    // Never the person's own kernel image (AIRLOCK_KERNEL_IMAGE): a release publishes what this installation builds.
    // Built here (offline, or from the Dockerfiles with AIRLOCK_IMAGE_BASE), never pulled from the registry it pushes to.
    const env = { ...io.env, [IMAGE_REGISTRY_ENV]: undefined, [IMAGE_MANIFEST_ENV]: undefined };
    const images = await prepareImages(engine, { signal: ctl.signal, progress: say, env });
    const manifest = await publishImages(engine.docker, {
      registry: a.registry!,
      images,
      release: release(),
      progress: say,
      signal: ctl.signal,
    });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
    fs.renameSync(tmp, file);
    if (a.json) io.out(JSON.stringify({ engine: engine.kind, manifestFile: file, manifest }, null, 2));
    else io.out(`published ${Object.keys(manifest.images).length} image(s) to ${manifest.registry}; manifest: ${file}`);
    return 0;
  } catch (err) {
    if (!ctl.signal.aborted) throw err;
    io.err('airlock: publishing cancelled (run `airlock images publish` again)');
    return 130;
  } finally {
    off();
  }
}
