// Finds what a sandbox changed: walks only the overlay upper dir (or a snapshot against its manifest), never the workspace,
// on a worker thread (walk.ts) with an entry limit.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { joinRel } from './paths';
import { walkEntries } from './walk';

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

export interface ScanResult {
  changes: Change[];
  warnings: string[];
}

/** The main thread gives the event loop a turn after this long of synchronous work (a generation touches many files). */
const SLICE_MS = 10;
const tick = () => new Promise<void>((r) => setImmediate(r));

/** Yields to the event loop when the current slice of synchronous work is used up; checks the signal then. */
export function yielder(signal?: AbortSignal): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < SLICE_MS) return;
    await tick();
    signal?.throwIfAborted();
    since = performance.now();
  };
}

const parentOf = (rel: string) => {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
};
const nameOf = (rel: string) => rel.slice(rel.lastIndexOf('/') + 1);

/** Walks the upper dir on a worker thread (entry-limited) and reads overlay flags there; no xattr reader is an error. */
export async function scanUpper(upper: string, signal?: AbortSignal, maxEntries?: number): Promise<ScanResult> {
  const entries = await walkEntries(upper, { xattrs: true, maxEntries, signal });
  const pause = yielder(signal);
  const children = new Map<string, string[]>();
  for (const e of entries) {
    await pause();
    const p = parentOf(e.rel);
    const l = children.get(p);
    if (l) l.push(nameOf(e.rel));
    else children.set(p, [nameOf(e.rel)]);
  }
  const changes: Change[] = [];
  const warnings: string[] = [];
  // Directories inside an opaque one hide their base contents too (the base dir at that path is not merged).
  const opaqueDirs = new Set<string>();
  for (const e of entries) {
    await pause();
    const { rel } = e;
    const src = path.join(upper, rel);
    switch (e.kind) {
      case 'file':
        changes.push({ type: 'write', rel, src, metacopy: !!e.metacopy });
        break;
      case 'dir':
        if (e.redirect) warnings.push(`${rel}: a redirected (renamed) directory is shown as its upper contents only`);
        changes.push({ type: 'dir', rel });
        if (e.opaque || opaqueDirs.has(parentOf(rel))) {
          opaqueDirs.add(rel);
          changes.push({ type: 'opaque', rel, keep: new Set(children.get(rel) ?? []) });
        }
        break;
      case 'whiteout':
        changes.push({ type: 'delete', rel });
        break;
      case 'symlink':
        changes.push({ type: 'symlink', rel, src });
        break;
      case 'device':
        changes.push({ type: 'blocked', rel, reason: 'device files are never merged' });
        break;
      case 'special':
        changes.push({ type: 'blocked', rel, reason: 'special files (fifo, socket, device) are never merged' });
        break;
      default: {
        const never: never = e.kind;
        throw new Error(`unknown entry kind ${String(never)}`);
      }
    }
  }
  return { changes, warnings };
}

/** Per file of a fresh snapshot copy: [size, mtimeMs, ctimeMs]; ctime cannot be forged by the sandbox. */
export type SnapshotManifest = Record<string, [number, number, number]>;

export async function buildManifest(dir: string, signal?: AbortSignal): Promise<SnapshotManifest> {
  const m: SnapshotManifest = {};
  for (const e of await walkEntries(dir, { xattrs: false, signal })) if (e.kind !== 'dir') m[e.rel] = [e.size, e.mtimeMs, e.ctimeMs];
  return m;
}

export async function scanSnapshot(dir: string, manifest: SnapshotManifest, signal?: AbortSignal): Promise<ScanResult> {
  const changes: Change[] = [];
  const seen = new Set<string>();
  for (const e of await walkEntries(dir, { xattrs: false, signal })) {
    const { rel } = e;
    if (e.kind === 'dir') {
      changes.push({ type: 'dir', rel });
      continue;
    }
    seen.add(rel);
    const m = manifest[rel];
    if (m && m[0] === e.size && m[1] === e.mtimeMs && m[2] === e.ctimeMs) continue;
    const src = path.join(dir, rel);
    if (e.kind === 'file') changes.push({ type: 'write', rel, src, metacopy: false });
    else if (e.kind === 'symlink') changes.push({ type: 'symlink', rel, src });
    else changes.push({ type: 'blocked', rel, reason: 'special files (fifo, socket, device) are never merged' });
  }
  for (const rel of Object.keys(manifest)) if (!seen.has(rel)) changes.push({ type: 'delete', rel });
  return { changes, warnings: [] };
}

/** Visits every non-directory entry under `root` (lstat, links not followed). */
export async function walkTree(
  root: string,
  dirRel: string,
  visit: (rel: string, st: fs.Stats, abs: string) => Promise<void> | void,
  signal?: AbortSignal,
  onDir?: (rel: string) => void,
): Promise<void> {
  const pause = yielder(signal);
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(root, rel);
    let names: string[];
    try {
      names = fs.readdirSync(abs);
    } catch (err) {
      throw new AirlockError('PATCH_SCAN_FAILED', `cannot read ${abs}: ${(err as Error).message}`);
    }
    for (const name of names) {
      await pause();
      const r = joinRel(rel, name);
      const p = path.join(abs, name);
      const st = fs.lstatSync(p);
      if (st.isDirectory()) {
        onDir?.(r);
        await walk(r);
      } else await visit(r, st, p);
    }
  };
  await walk(dirRel);
}
