// Worker thread that walks output trees (upper dirs, snapshots) with blocking fs calls, off the kernel's event loop.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { AirlockError } from '../../../protocol/src/errors';
import { overlayAttrsOf } from './xattr';

/** One entry of a walked tree, parents before children, names sorted (byte order) within a directory. */
export interface WalkEntry {
  rel: string;
  kind: 'file' | 'dir' | 'symlink' | 'whiteout' | 'device' | 'special';
  size: number;
  /** 512-byte blocks allocated (sparse files count what they really use). */
  blocks: number;
  mode: number;
  mtimeMs: number;
  ctimeMs: number;
  /** Overlay attributes (upper dirs only): a directory hiding its lower contents, a metadata-only copy-up, a rename. */
  opaque?: true;
  metacopy?: true;
  redirect?: true;
}

export type WalkRequest =
  /** Every entry under root, overlay attributes read when `xattrs` (upper dirs). */
  | { op: 'entries'; root: string; maxEntries: number; xattrs: boolean }
  /** Allocated bytes under root (the quota poll). */
  | { op: 'usage'; root: string; maxEntries: number }
  /** Workspace-relative paths that differ between an output tree and the workspace (workflow evidence). */
  | { op: 'changed'; kind: 'overlay' | 'snapshot'; root: string; workspace: string; maxEntries: number; maxResults: number };

export type WalkMessage =
  | { type: 'entries'; entries: WalkEntry[] }
  | { type: 'done'; bytes?: number; changed?: string[]; count: number }
  | { type: 'error'; code: string; message: string; hint?: string };

/** Entries are posted in batches so the main thread deserialises them a slice at a time. */
const BATCH = 2000;

class LimitError extends Error {}

function kindOf(st: fs.Stats): WalkEntry['kind'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  // An overlay whiteout is a 0/0 character device; any other device node is refused later.
  if (st.isCharacterDevice() && st.rdev === 0) return 'whiteout';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  return 'special';
}

const byBytes = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Depth-first walk (lstat, links never followed); `visit` returns false to skip a directory's contents. */
function walk(root: string, maxEntries: number, visit: (e: WalkEntry, abs: string) => boolean | void): number {
  let count = 0;
  const rec = (dirRel: string): void => {
    const dir = path.join(root, dirRel);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch (err) {
      // A live tree (the quota poll runs while the sandbox works): a folder removed since it was listed is simply gone.
      if (dirRel && (err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`cannot read ${dir}: ${(err as Error).message}`);
    }
    for (const name of names.sort(byBytes)) {
      if (++count > maxEntries) throw new LimitError(String(maxEntries));
      const rel = dirRel ? `${dirRel}/${name}` : name;
      const abs = path.join(dir, name);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(abs);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // renamed or removed since the listing
        throw err;
      }
      const e: WalkEntry = {
        rel,
        kind: kindOf(st),
        size: st.size,
        blocks: st.blocks,
        mode: st.mode,
        mtimeMs: st.mtimeMs,
        ctimeMs: st.ctimeMs,
      };
      if (visit(e, abs) !== false && e.kind === 'dir') rec(rel);
    }
  };
  rec('');
  return count;
}

function sameFile(a: string, b: string, st: WalkEntry): boolean {
  try {
    const w = fs.statSync(b);
    return w.isFile() && w.size === st.size && (w.mode & 0o7777) === (st.mode & 0o7777) && fs.readFileSync(a).equals(fs.readFileSync(b));
  } catch {
    return false;
  }
}

function changed(r: Extract<WalkRequest, { op: 'changed' }>): { changed: string[]; count: number } {
  const out = new Set<string>();
  const full = () => {
    if (out.size >= r.maxResults) throw new LimitError(`results:${r.maxResults}`);
  };
  let count: number;
  if (r.kind === 'overlay') {
    // The upper dir holds the changes: files, symlinks, whiteouts; a file copied up with the workspace's content
    // (e.g. restored with `git checkout`) is no change.
    count = walk(r.root, r.maxEntries, (e, abs) => {
      if (e.kind === 'dir') return true;
      if (e.kind === 'file' && sameFile(abs, path.join(r.workspace, e.rel), e)) return;
      full();
      out.add(e.rel);
    });
  } else {
    count = walk(r.root, r.maxEntries, (e, abs) => {
      if (e.kind === 'dir') return e.rel !== '.git';
      try {
        if (!fs.readFileSync(abs).equals(fs.readFileSync(path.join(r.workspace, e.rel)))) {
          full();
          out.add(e.rel);
        }
      } catch {
        full();
        out.add(e.rel);
      }
    });
    count += walk(r.workspace, r.maxEntries, (e) => {
      if (e.kind === 'dir') return e.rel !== '.git';
      if (!fs.existsSync(path.join(r.root, e.rel))) {
        full();
        out.add(e.rel);
      }
    });
  }
  return { changed: [...out].sort(byBytes), count };
}

export function run(r: WalkRequest, post: (m: WalkMessage) => void): void {
  try {
    switch (r.op) {
      case 'entries': {
        let batch: WalkEntry[] = [];
        const count = walk(r.root, r.maxEntries, (e, abs) => {
          if (r.xattrs && (e.kind === 'dir' || e.kind === 'file')) Object.assign(e, overlayAttrsOf(abs, e.kind));
          batch.push(e);
          if (batch.length >= BATCH) {
            post({ type: 'entries', entries: batch });
            batch = [];
          }
        });
        if (batch.length) post({ type: 'entries', entries: batch });
        post({ type: 'done', count });
        return;
      }
      case 'usage': {
        let bytes = 0;
        const count = walk(r.root, r.maxEntries, (e) => {
          bytes += e.blocks * 512;
        });
        post({ type: 'done', bytes, count });
        return;
      }
      case 'changed':
        post({ type: 'done', ...changed(r) });
        return;
      default: {
        const never: never = r;
        throw new Error(`unknown walk request ${JSON.stringify(never)}`);
      }
    }
  } catch (err) {
    if (err instanceof LimitError) {
      const what = err.message.startsWith('results:')
        ? `more than ${err.message.slice(8)} changed paths`
        : `more than ${err.message} entries`;
      post({
        type: 'error',
        code: 'PATCH_TOO_MANY_ENTRIES',
        message: `${r.root} holds ${what}; the walk was stopped`,
        hint: 'the sandbox created too many files: delete what is not needed (build output, caches) or split the task',
      });
    } else if (err instanceof AirlockError) {
      post({ type: 'error', code: err.code, message: err.message, hint: err.hint });
    } else {
      post({ type: 'error', code: 'PATCH_SCAN_FAILED', message: (err as Error).message });
    }
  }
}

parentPort?.on('message', (r: WalkRequest) => run(r, (m) => parentPort!.postMessage(m)));
