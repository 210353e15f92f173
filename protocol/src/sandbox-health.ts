// Reads sandbox/pools health into checks: missing sandbox images and warm pools that failed to fill (doctor, status bar).
import { PREPARE_IMAGES_HINT } from './images';
import type { SandboxTemplateHealth } from './methods/sandbox';

export interface SandboxCheck {
  name: 'images' | 'pools';
  ok: boolean;
  detail: string;
  hint?: string;
  code?: string;
  /** Short words for a status bar when the check fails, e.g. "sandbox images missing". */
  status?: string;
}

/** Every template needs an image; every pool with a target must not have failed its last fill. */
export function sandboxChecks(health: Record<string, SandboxTemplateHealth>, poolsEnabled: boolean): SandboxCheck[] {
  const entries = Object.entries(health);
  const noImage = entries.filter(([, h]) => !h.image);
  const first = noImage[0]?.[1].imageError;
  const images: SandboxCheck =
    noImage.length === 0
      ? { name: 'images', ok: true, detail: `sandbox images found for ${entries.map(([t]) => t).join(', ') || 'no templates'}` }
      : {
          name: 'images',
          ok: false,
          status: 'sandbox images missing',
          code: first?.code ?? 'SANDBOX_NO_IMAGE',
          detail: `no sandbox image for ${noImage.map(([t, h]) => `${t}${h.imageError ? ` (${h.imageError.message})` : ''}`).join('; ')}`,
          hint: first?.hint ?? PREPARE_IMAGES_HINT,
        };
  const pooled = entries.filter(([, h]) => h.pool.target > 0);
  const failed = pooled.filter(([, h]) => h.pool.error);
  const pools: SandboxCheck = failed.length
    ? {
        name: 'pools',
        ok: false,
        status: 'warm pool failed',
        code: 'SANDBOX_POOL_FAILED',
        detail: `warm pool failed to fill: ${failed
          .map(([t, h]) => `${t} ${h.pool.ready}/${h.pool.target} ready (${h.pool.error})`)
          .join('; ')}`,
        hint:
          'fix the cause above (a missing image is the usual one: `airlock images prepare`, VS Code: **Airlock: Prepare Images**); ' +
          'the pools retry on their own within a minute',
      }
    : {
        name: 'pools',
        ok: true,
        detail: !poolsEnabled
          ? 'warm pools are off (AIRLOCK_SANDBOX_POOLS=0)'
          : pooled.length
            ? `warm pools: ${pooled.map(([t, h]) => `${t} ${h.pool.ready}/${h.pool.target} ready`).join(', ')}`
            : 'no warm pools configured',
      };
  return [images, pools];
}
