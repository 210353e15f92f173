// Reads the workspace's current state for the paths of a patch set (read-only), as merge planning's input.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hashPath, sha256 } from '../../../core/src/apply/file-hash';
import type { PatchSet } from '../../../protocol/src/patches';
import { patchPaths } from '../../../protocol/src/patches';
import type { CurrentFile } from './merge-plan';
import { asText } from './text';
import { DEFAULT_MAX_DIFF_BYTES } from './generate';

export async function readCurrentFiles(
  workspace: string,
  set: PatchSet,
  signal?: AbortSignal,
  maxText = DEFAULT_MAX_DIFF_BYTES,
): Promise<Map<string, CurrentFile | null>> {
  const out = new Map<string, CurrentFile | null>();
  for (const f of set.files)
    for (const rel of patchPaths(f)) {
      if (out.has(rel)) continue;
      out.set(rel, await readCurrent(path.join(workspace, rel), signal, maxText));
    }
  return out;
}

export async function readCurrent(abs: string, signal?: AbortSignal, maxText = DEFAULT_MAX_DIFF_BYTES): Promise<CurrentFile | null> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
  if (st.isSymbolicLink()) return { hash: (await hashPath(abs, signal)).sha256, mode: 0o777, kind: 'symlink' };
  if (!st.isFile()) return { hash: '', mode: st.mode & 0o777, kind: 'other' };
  if (st.size > maxText) return { hash: (await hashPath(abs, signal)).sha256, mode: st.mode & 0o777, kind: 'file' };
  const buf = fs.readFileSync(abs);
  return { hash: sha256(buf), mode: st.mode & 0o777, kind: 'file', text: asText(buf) ?? undefined };
}
