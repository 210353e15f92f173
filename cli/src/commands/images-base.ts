// `airlock images base --registry HOST[:PORT]/PREFIX`: the Debian + Node.js base the Dockerfiles build FROM, made here
// (debootstrap, so root), pushed to the registry, and printed by digest for AIRLOCK_IMAGE_BASE.
import type { Engine } from '../../../core/src/engine/detect';
import { AirlockError } from '../../../protocol/src/errors';
import { IMAGE_BASE_ENV } from '../../../protocol/src/images';
import { publishDebianBase } from '../../../templates/builder/dockerfile-build';
import type { CliIO } from '../command';
import type { ImagesArgs, ImagesDeps } from './images';

export async function baseMain(a: ImagesArgs, io: CliIO, engine: Engine, deps: ImagesDeps): Promise<number> {
  const ctl = new AbortController();
  const off = deps.onInterrupt(() =>
    ctl.abort(new AirlockError('CANCELLED', 'making the base cancelled (Ctrl-C)', 'run `airlock images base` again')),
  );
  try {
    const base = await publishDebianBase(engine.docker, a.registry!, {
      signal: ctl.signal,
      progress: (l) => {
        if (!a.json) io.out(l);
      },
    });
    if (a.json) io.out(JSON.stringify({ engine: engine.kind, base }, null, 2));
    else io.out(`${IMAGE_BASE_ENV}=${base}`);
    return 0;
  } catch (err) {
    if (!ctl.signal.aborted) throw err;
    io.err('airlock: making the base was cancelled (run `airlock images base` again)');
    return 130;
  } finally {
    off();
  }
}
