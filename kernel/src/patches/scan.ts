// Finds what a sandbox changed: walks only the overlay upper dir (or a snapshot against its manifest), never the workspace.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { joinRel } from './paths';
import { readOverlayAttrs } from './xattr';

export type Change =
  | { type: 'write'; rel: string; src: string; metacopy: boolean }
  | { type: 'symlink'; rel: string; src: string }
  /** The base path (file, link or whole directory) is gone. */
  | { type: 'delete'; rel: string }
  /** An upper directory: a non-directory at the same base path was replaced. */
  | { type: 'dir'; rel: string }
  /** An opaque directory hides every base entry not in `keep`. */
  | { type: 'opaque'; rel: string; keep: Set<string> }
  | { type: 'blocked'; rel: string; reason: string };

export interface ScanResult { changes: Change[]; warnings: string[] }

const YIELD_EVERY = 2000;
const tick = () => new Promise<void>((r) => setImmediate(r));

export async function scanUpper(upper: string, signal?: AbortSignal): Promise<ScanResult> {
  const attrs = await readOverlayAttrs(upper, signal);
  const changes: Change[] = [];
  const warnings: string[] = [];
  if (!attrs.available) warnings.push('getfattr is not installed: opaque directories (deleted and recreated) cannot be detected, so deletions inside them may be missing');
  let seen = 0;
  const walk = async (dirRel: string, opaque: boolean): Promise<void> => {
    const abs = path.join(upper, dirRel);
    const entries = fs.readdirSync(abs, { withFileTypes: true });
    if (opaque) changes.push({ type: 'opaque', rel: dirRel, keep: new Set(entries.map((e) => e.name)) });
    for (const e of entries) {
      if (++seen % YIELD_EVERY === 0) { await tick(); signal?.throwIfAborted(); }
      const rel = joinRel(dirRel, e.name);
      const src = path.join(abs, e.name);
      if (e.isFile()) changes.push({ type: 'write', rel, src, metacopy: attrs.metacopy.has(rel) });
      else if (e.isDirectory()) {
        if (attrs.redirect.has(rel)) warnings.push(`${rel}: a redirected (renamed) directory is shown as its upper contents only`);
        changes.push({ type: 'dir', rel });
        await walk(rel, opaque || attrs.opaque.has(rel));
      } else if (e.isCharacterDevice()) {
        // An overlay whiteout is a 0/0 character device; any other device node is refused.
        const st = fs.lstatSync(src);
        if (st.rdev === 0) changes.push({ type: 'delete', rel });
        else changes.push({ type: 'blocked', rel, reason: 'device files are never merged' });
      } else if (e.isSymbolicLink()) changes.push({ type: 'symlink', rel, src });
      else changes.push({ type: 'blocked', rel, reason: 'special files (fifo, socket, device) are never merged' });
    }
  };
  await walk('', false);
  return { changes, warnings };
}

/** Per file of a fresh snapshot copy: [size, mtimeMs, ctimeMs]; ctime cannot be forged by the sandbox. */
export type SnapshotManifest = Record<string, [number, number, number]>;

export async function buildManifest(dir: string, signal?: AbortSignal): Promise<SnapshotManifest> {
  const m: SnapshotManifest = {};
  await walkTree(dir, '', async (rel, st) => { m[rel] = [st.size, st.mtimeMs, st.ctimeMs]; }, signal);
  return m;
}

export async function scanSnapshot(dir: string, manifest: SnapshotManifest, signal?: AbortSignal): Promise<ScanResult> {
  const changes: Change[] = [];
  const seen = new Set<string>();
  await walkTree(dir, '', async (rel, st, src) => {
    seen.add(rel);
    const m = manifest[rel];
    if (m && m[0] === st.size && m[1] === st.mtimeMs && m[2] === st.ctimeMs) return;
    if (st.isFile()) changes.push({ type: 'write', rel, src, metacopy: false });
    else if (st.isSymbolicLink()) changes.push({ type: 'symlink', rel, src });
    else changes.push({ type: 'blocked', rel, reason: 'special files (fifo, socket, device) are never merged' });
  }, signal, (rel) => changes.push({ type: 'dir', rel }));
  for (const rel of Object.keys(manifest)) if (!seen.has(rel)) changes.push({ type: 'delete', rel });
  return { changes, warnings: [] };
}

/** Visits every non-directory entry under `root` (lstat, links not followed). */
export async function walkTree(root: string, dirRel: string, visit: (rel: string, st: fs.Stats, abs: string) => Promise<void> | void,
  signal?: AbortSignal, onDir?: (rel: string) => void): Promise<void> {
  let n = 0;
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(root, rel);
    let names: string[];
    try {
      names = fs.readdirSync(abs);
    } catch (err) {
      throw new AirlockError('PATCH_SCAN_FAILED', `cannot read ${abs}: ${(err as Error).message}`);
    }
    for (const name of names) {
      if (++n % YIELD_EVERY === 0) { await tick(); signal?.throwIfAborted(); }
      const r = joinRel(rel, name);
      const p = path.join(abs, name);
      const st = fs.lstatSync(p);
      if (st.isDirectory()) { onDir?.(r); await walk(r); } else await visit(r, st, p);
    }
  };
  await walk(dirRel);
}
