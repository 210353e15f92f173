// Synchronous workspace walk for the read-only tools: respects .gitignore files, never follows symlinks, skips .git.
import * as fs from 'node:fs';
import { readFd } from '../../workspace/safe-open';
import { IgnoreFile, isIgnored } from './gitignore';
import { TreeReader, type TreeRoot } from './view';

export interface WalkEntry {
  rel: string;
  isDir: boolean;
}

export interface WalkOptions {
  /** Respect .gitignore files (default true). */
  gitignore?: boolean;
  /** Stop after this many entries. */
  limit?: number;
  /** Checked every few hundred entries so a cancel ends a long walk. */
  signal?: AbortSignal;
  /** Called for directories too; return false to skip descending into one. */
  filterDir?: (rel: string) => boolean;
}

/** One directory's kept entries (sorted by name) and the .gitignore stack that applies below it. */
export interface DirListing {
  ents: fs.Dirent[];
  ignores: IgnoreFile[];
}

const ALWAYS_SKIP = new Set(['.git', '.hg', '.svn']);
/** A .gitignore larger than this is not read (a sandbox could plant a huge one). */
const MAX_IGNORE_BYTES = 1024 * 1024;

/** The .gitignore files of the directories above `startRel` (they apply to it too, as git would apply them). */
export function ignoresAbove(root: TreeRoot | TreeReader, startRel: string): IgnoreFile[] {
  const base: IgnoreFile[] = [];
  if (!startRel) return base;
  if (!(root instanceof TreeReader)) {
    const r = new TreeReader(root);
    try {
      return ignoresAbove(r, startRel);
    } finally {
      r.close();
    }
  }
  const parts = startRel.split('/');
  for (let i = 0; i < parts.length; i++) {
    const f = readIgnore(root, parts.slice(0, i).join('/'));
    if (f) base.push(f);
  }
  return base;
}

/**
 * Reads one directory (`rel` under `root`; '' = root): files and directories only (never symlinks, sockets or devices),
 * without .git/.hg/.svn or ignored entries, sorted by name. undefined when it cannot be read (missing, not a directory).
 */
export function listDir(root: TreeReader, rel: string, parentIgnores: IgnoreFile[], useIgnore: boolean): DirListing | undefined {
  let ents: fs.Dirent[] | undefined;
  try {
    ents = root.readDir(rel);
  } catch {
    return undefined;
  }
  if (!ents) return undefined;
  let ignores = parentIgnores;
  if (useIgnore && ents.some((e) => e.name === '.gitignore')) {
    const f = readIgnore(root, rel);
    if (f) ignores = [...parentIgnores, f];
  }
  ents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const kept: fs.Dirent[] = [];
  for (const e of ents) {
    const isDir = e.isDirectory();
    if (!isDir && !e.isFile()) continue;
    if (isDir && ALWAYS_SKIP.has(e.name)) continue;
    if (ignores.length && isIgnored(ignores, rel ? `${rel}/${e.name}` : e.name, isDir)) continue;
    kept.push(e);
  }
  return { ents: kept, ignores };
}

/**
 * Depth-first, sorted walk from `startRel` (relative to `root`). Yields files and directories: all entries of a
 * directory first, then the subtree of each of its subdirectories in name order. Given a TreeRoot it reads through a
 * reader of its own; given a reader (to open the files it yields through it too) it leaves closing it to the caller.
 */
export function* walk(root: TreeRoot | TreeReader, startRel = '', opts: WalkOptions = {}): Generator<WalkEntry> {
  if (!(root instanceof TreeReader)) {
    const r = new TreeReader(root);
    try {
      yield* walk(r, startRel, opts);
    } finally {
      r.close();
    }
    return;
  }
  const useIgnore = opts.gitignore !== false;
  const stack: Array<{ rel: string; ignores: IgnoreFile[] }> = [{ rel: startRel, ignores: useIgnore ? ignoresAbove(root, startRel) : [] }];
  let n = 0;
  while (stack.length) {
    const { rel, ignores: parentIgnores } = stack.pop()!;
    const listing = listDir(root, rel, parentIgnores, useIgnore);
    if (!listing) continue;
    const subdirs: string[] = [];
    for (const e of listing.ents) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      const isDir = e.isDirectory();
      if ((++n & 255) === 0) opts.signal?.throwIfAborted();
      yield { rel: childRel, isDir };
      if (opts.limit !== undefined && n >= opts.limit) return;
      if (isDir && (!opts.filterDir || opts.filterDir(childRel))) subdirs.push(childRel);
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push({ rel: subdirs[i], ignores: listing.ignores });
  }
}

function readIgnore(root: TreeReader, dirRel: string): IgnoreFile | undefined {
  const file = root.openFile(dirRel ? `${dirRel}/.gitignore` : '.gitignore');
  if (!file) return undefined;
  try {
    if (file.size > MAX_IGNORE_BYTES) return undefined;
    const f = new IgnoreFile(dirRel, readFd(file.fd, file.size).toString('utf8'));
    return f.empty ? undefined : f;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(file.fd);
  }
}
