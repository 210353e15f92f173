// Synchronous workspace walk for the read-only tools: respects .gitignore files, never follows symlinks, skips .git.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IgnoreFile, isIgnored } from './gitignore';

export interface WalkEntry { rel: string; abs: string; isDir: boolean }

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

const ALWAYS_SKIP = new Set(['.git', '.hg', '.svn']);

/**
 * Depth-first, sorted walk from `startRel` (relative to `root`). Yields files and directories. The .gitignore files of
 * the directories above `startRel` apply too, as git would apply them.
 */
export function* walk(root: string, startRel = '', opts: WalkOptions = {}): Generator<WalkEntry> {
  const useIgnore = opts.gitignore !== false;
  const base: IgnoreFile[] = [];
  if (useIgnore && startRel) {
    const parts = startRel.split('/');
    for (let i = 0; i < parts.length; i++) {
      const dirRel = parts.slice(0, i).join('/');
      const f = readIgnore(root, dirRel);
      if (f) base.push(f);
    }
  }
  const stack: Array<{ rel: string; ignores: IgnoreFile[] }> = [{ rel: startRel, ignores: base }];
  let n = 0;
  while (stack.length) {
    const { rel, ignores: parentIgnores } = stack.pop()!;
    const abs = rel ? path.join(root, rel) : root;
    let ents: fs.Dirent[];
    try { ents = fs.readdirSync(abs, { withFileTypes: true }); } catch { continue; }
    let ignores = parentIgnores;
    if (useIgnore && ents.some((e) => e.name === '.gitignore')) { const f = readIgnore(root, rel); if (f) ignores = [...parentIgnores, f]; }
    ents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    for (const e of ents) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      const isDir = e.isDirectory();
      if (!isDir && !e.isFile()) continue; // symlinks, sockets, devices: never followed or read
      if (isDir && ALWAYS_SKIP.has(e.name)) continue;
      if (ignores.length && isIgnored(ignores, childRel, isDir)) continue;
      if ((++n & 255) === 0) opts.signal?.throwIfAborted();
      yield { rel: childRel, abs: path.join(abs, e.name), isDir };
      if (opts.limit !== undefined && n >= opts.limit) return;
      if (isDir && (!opts.filterDir || opts.filterDir(childRel))) subdirs.push(childRel);
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push({ rel: subdirs[i], ignores });
  }
}

function readIgnore(root: string, dirRel: string): IgnoreFile | undefined {
  try {
    const f = new IgnoreFile(dirRel, fs.readFileSync(path.join(root, dirRel, '.gitignore'), 'utf8'));
    return f.empty ? undefined : f;
  } catch { return undefined; }
}
