// Maps a requested path to a real file inside the workspace, refusing anything that escapes it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';

export function resolveInWorkspace(workspace: string, requested: string): { abs: string; rel: string } {
  if (requested.includes('\0')) throw outside(requested, 'contains a NUL byte');
  const root = fs.realpathSync(workspace);
  const candidate = path.resolve(root, requested.normalize('NFC'));
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
  if (!isInside(root, real)) throw outside(requested, candidate === real ? 'is outside the workspace' : 'resolves (through a symlink) outside the workspace');
  return { abs: real, rel: path.relative(root, real) || '.' };
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function outside(requested: string, why: string): AirlockError {
  return new AirlockError(ErrorCodes.PathOutsideWorkspace, `path ${JSON.stringify(requested.slice(0, 200))} ${why}`,
    'only files inside the workspace folder can be read; use a path relative to the workspace root');
}
