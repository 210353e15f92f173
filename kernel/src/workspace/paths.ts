// Maps a requested path to a real file inside the workspace, refusing anything that escapes it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { confinePath, REAL_PATH } from '../../../protocol/src/paths';

/**
 * Lexically first (protocol/src/paths.ts: a relative path that climbs above the root is refused even if it comes back
 * in), then through the file system: the real path must still be inside. An absolute path is judged by its real path.
 */
export function resolveInWorkspace(workspace: string, requested: string): { abs: string; rel: string } {
  const root = fs.realpathSync(workspace);
  const c = confinePath(root, requested);
  let candidate: string;
  switch (c.type) {
    case 'ok':
      candidate = c.segments.length ? path.join(root, ...c.segments) : root;
      break;
    case 'absolute':
      candidate = c.path;
      break;
    case 'outside':
      throw outside(requested, 'is outside the workspace');
    case 'invalid':
      throw outside(requested, c.reason);
  }
  let real: string;
  try {
    real = fs.realpathSync(candidate);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      // Judge a missing file by its lexical location; reading it will say "not found".
      if (!isInside(root, candidate)) throw outside(requested, 'is outside the workspace');
      throw new AirlockError(ErrorCodes.NotFound, `${requested} does not exist in the workspace`);
    }
    throw err;
  }
  if (!isInside(root, real))
    throw outside(requested, candidate === real ? 'is outside the workspace' : 'resolves (through a symlink) outside the workspace');
  return { abs: real, rel: path.relative(root, real) || '.' };
}

/** Whether the real path `p` is `root` or beneath it (both real, so the lexical check is the whole answer). */
function isInside(root: string, p: string): boolean {
  return confinePath(root, p, REAL_PATH).type === 'ok';
}

function outside(requested: string, why: string): AirlockError {
  return new AirlockError(
    ErrorCodes.PathOutsideWorkspace,
    `path ${JSON.stringify(requested.slice(0, 200))} ${why}`,
    'only files inside the workspace folder can be read; use a path relative to the workspace root',
  );
}
