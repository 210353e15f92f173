// Overlay xattrs of upper-dir entries (opaque dirs, metacopy, redirects), read with lgetxattr from the native addon.
import { AirlockError } from '../../../protocol/src/errors';

/**
 * Output overlays are mounted with `userxattr`, so overlayfs keeps its flags in `user.overlay.*`, which any process
 * that can read the entry may read (the kernel container has no capability, so `trusted.*` reads as absent there).
 * `trusted.overlay.*` is still read for overlays mounted the classic way where the reader is privileged.
 */
const NAMESPACES = ['user.overlay.', 'trusted.overlay.'];

interface XattrAddon {
  getxattr(path: string, name: string): Buffer | null;
}
let addon: XattrAddon | undefined;
let loadError: string | undefined;

function load(): XattrAddon {
  if (addon) return addon;
  if (loadError === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const a = require('airlock-peercred') as Partial<XattrAddon>;
      if (typeof a.getxattr === 'function') addon = a as XattrAddon;
      else loadError = 'the airlock-peercred addon was built without getxattr';
    } catch (err) {
      loadError = `the airlock-peercred addon is missing (${(err as Error).message.split('\n')[0]})`;
    }
  }
  if (addon) return addon;
  throw new AirlockError(
    'PATCH_XATTR_UNAVAILABLE',
    `cannot read overlay attributes: ${loadError}`,
    'rebuild the native addon (npm rebuild airlock-peercred) for the Node.js that runs the kernel',
  );
}

/** True when the kernel can read overlay attributes (tests and diagnostics). */
export function xattrsAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

function has(abs: string, attr: string, accept?: (v: Buffer) => boolean): boolean {
  const a = load();
  for (const ns of NAMESPACES) {
    const v = a.getxattr(abs, ns + attr);
    if (v && (!accept || accept(v))) return true;
  }
  return false;
}

/** The overlay flags of one upper-dir entry; `opaque` only for the value "y" ("x" marks a dir holding xwhiteouts). */
export function overlayAttrsOf(abs: string, kind: 'file' | 'dir'): { opaque?: true; metacopy?: true; redirect?: true } {
  const out: { opaque?: true; metacopy?: true; redirect?: true } = {};
  if (kind === 'dir') {
    if (has(abs, 'opaque', (v) => v.length === 1 && v[0] === 0x79)) out.opaque = true;
    if (has(abs, 'redirect')) out.redirect = true;
  } else if (has(abs, 'metacopy')) out.metacopy = true;
  return out;
}
