// Bootstrap's start-up sweep: `airlock gc` without the options, at most once a day, in the background.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { applyGc, type GcOptions, type GcResult, planGc } from './plan';

export { recordWorkspace } from './record';
export { recordInstallation } from './installations';

export const SWEEP_EVERY_MS = 24 * 3_600_000;
/** An image younger than this may be what another start (another checkout state, a test) is about to run. */
export const SWEEP_IMAGE_GRACE_MS = 24 * 3_600_000;

/** undefined when a sweep ran within the last day (the stamp file in the state base says when). */
export async function startupSweep(docker: Docker, o: Omit<GcOptions, 'allVersions'>, now = Date.now()): Promise<GcResult | undefined> {
  const stamp = path.join(o.stateBase, 'gc.stamp');
  try {
    if (now - fs.statSync(stamp).mtimeMs < SWEEP_EVERY_MS) return undefined;
  } catch {
    /* never swept */
  }
  const r = await applyGc(docker, await planGc(docker, { ...o, imageGraceMs: SWEEP_IMAGE_GRACE_MS, now }));
  // Stamped when done: a sweep cut short (the CLI exited) runs again at the next start.
  fs.mkdirSync(o.stateBase, { recursive: true, mode: 0o700 });
  fs.writeFileSync(stamp, `${new Date(now).toISOString()}\n`);
  return r;
}
