// The tree the read-only tools walk: a plain directory, or a task's overlay view (its upper dir over the workspace).
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A task's files as its sandbox sees them, without mounting anything: upper-dir entries shadow the workspace's,
 * whiteouts (0/0 character devices) and other non-directories hide the workspace entries below them, and an opaque
 * directory hides the workspace directory's content. Upper-dir paths are walked with lstat: a symlink the sandbox
 * planted is never followed (it hides what is below, as a file would).
 */
export class OverlayTree {
  private readonly dirs = new Map<string, DirState>();

  /** `opaque`: upper-dir directories marked opaque (workspace-relative), as readOverlayAttrs reports them. */
  constructor(readonly lower: string, readonly upper: string, private readonly opaque: ReadonlySet<string>) {}

  /** Where directory `rel` lives in each layer ('' = root). */
  private dir(rel: string): DirState {
    let s = this.dirs.get(rel);
    if (s) return s;
    if (!rel) s = { upper: isDir(this.upper) ? this.upper : undefined, lower: !this.opaque.has('') };
    else {
      const parent = this.dir(parentOf(rel));
      const name = rel.slice(rel.lastIndexOf('/') + 1);
      let up: fs.Stats | undefined;
      if (parent.upper) try { up = fs.lstatSync(path.join(parent.upper, name)); } catch { /* not in the upper dir */ }
      s = {
        upper: up?.isDirectory() ? path.join(parent.upper!, name) : undefined,
        lower: parent.lower && (!up || (up.isDirectory() && !this.opaque.has(rel))),
      };
    }
    this.dirs.set(rel, s);
    return s;
  }

  /** The merged entries of directory `rel` (upper entries win by name); throws ENOENT when neither layer has it. */
  readDir(rel: string): fs.Dirent[] {
    const s = this.dir(rel);
    const up = s.upper ? fs.readdirSync(s.upper, { withFileTypes: true }) : [];
    let low: fs.Dirent[] = [];
    if (s.lower) try { low = fs.readdirSync(rel ? path.join(this.lower, rel) : this.lower, { withFileTypes: true }); } catch (err) { if (!s.upper) throw err; }
    else if (!s.upper) throw Object.assign(new Error(`ENOENT: ${rel} is not in this view`), { code: 'ENOENT' });
    if (!up.length) return low;
    const shadowed = new Set(up.map((e) => e.name));
    return [...up, ...low.filter((e) => !shadowed.has(e.name))];
  }

  /** Where file `rel`'s bytes are (undefined when the view has no file there). */
  file(rel: string): string | undefined {
    const s = this.dir(parentOf(rel));
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    if (s.upper) {
      const p = path.join(s.upper, name);
      try { return fs.lstatSync(p).isFile() ? p : undefined; } catch { /* not in the upper dir */ }
    }
    return s.lower ? path.join(this.lower, rel) : undefined;
  }

  /** Whether `rel` is a directory in this view. */
  isDir(rel: string): boolean {
    const s = this.dir(rel);
    return !!s.upper || (s.lower && isDir(path.join(this.lower, rel)));
  }
}

interface DirState { upper?: string; lower: boolean }

export type TreeRoot = string | OverlayTree;

/** A directory's entries (Dirent.parentPath tells where each one is). */
export function readDirAt(root: TreeRoot, rel: string): fs.Dirent[] {
  return typeof root === 'string' ? fs.readdirSync(rel ? path.join(root, rel) : root, { withFileTypes: true }) : root.readDir(rel);
}

/** Where a file of the tree is read from (undefined when the view has no file there). */
export function fileAt(root: TreeRoot, rel: string): string | undefined {
  return typeof root === 'string' ? path.join(root, rel) : root.file(rel);
}

function parentOf(rel: string): string { const i = rel.lastIndexOf('/'); return i < 0 ? '' : rel.slice(0, i); }

function isDir(p: string): boolean {
  try { return fs.lstatSync(p).isDirectory(); } catch { return false; }
}
