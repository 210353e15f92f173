// The tree the read-only tools walk: a plain directory, or a task's overlay view (its upper dir over the workspace).
import type * as fs from 'node:fs';
import { overlayAttrsOf } from '../../patches/xattr';
import { at as atFd, DirChain, kindIn, lstatIn, readDirFd, refusal, tryOpenFileIn, type EntryKind } from '../../workspace/safe-open';

/**
 * A task's files as its sandbox sees them, without mounting anything: upper-dir entries shadow the workspace's,
 * whiteouts (0/0 character devices) and other non-directories hide the workspace entries below them, and an opaque
 * directory (overlay xattr, read per directory through its parent's descriptor) hides the workspace directory's
 * content. Read it through a TreeReader.
 */
export class OverlayTree {
  constructor(
    readonly lower: string,
    readonly upper: string,
  ) {}
}

export type TreeRoot = string | OverlayTree;

interface DirState {
  upper: boolean;
  lower: boolean;
}

/**
 * Reads a TreeRoot through descriptors only (kernel/src/workspace/safe-open.ts): every directory is opened through its
 * parent's descriptor with O_NOFOLLOW, every file is opened the same way and checked on its descriptor, so a symlink
 * (planted by a sandbox, or swapped in while we read) is never followed. One reader per walk; close() when done.
 */
export class TreeReader {
  private readonly lowerChain: DirChain;
  private readonly upperChain?: DirChain;
  private readonly upperRoot?: string;
  private readonly dirs = new Map<string, DirState>();

  constructor(root: TreeRoot) {
    this.lowerChain = new DirChain(typeof root === 'string' ? root : root.lower);
    if (typeof root === 'string') return;
    try {
      this.upperChain = new DirChain(root.upper);
      this.upperRoot = root.upper;
    } catch {
      /* no upper dir yet */
    }
  }

  /** Where directory `rel` lives in each layer ('' = root). Cached for the reader's life: one consistent walk. */
  private dir(rel: string): DirState {
    let s = this.dirs.get(rel);
    if (s) return s;
    if (!this.upperChain) s = { upper: false, lower: true };
    else if (!rel) s = { upper: true, lower: !overlayAttrsOf(this.upperRoot!, 'dir').opaque };
    else {
      const parent = this.dir(parentOf(rel));
      const pfd = parent.upper ? this.upperChain.dir(parentOf(rel)) : undefined;
      const up = pfd === undefined ? undefined : lstatIn(pfd, nameOf(rel));
      // lgetxattr through the parent's descriptor: the entry itself, never a symlink's target.
      const opaque = () => !!overlayAttrsOf(atFd(pfd!, nameOf(rel)), 'dir').opaque;
      s = { upper: !!up?.isDirectory(), lower: parent.lower && (!up || (up.isDirectory() && !opaque())) };
    }
    this.dirs.set(rel, s);
    return s;
  }

  /** The merged entries of directory `rel` (upper entries win by name); undefined when neither layer has it. */
  readDir(rel: string): fs.Dirent[] | undefined {
    const s = this.dir(rel);
    const ufd = s.upper ? this.upperChain?.dir(rel) : undefined;
    const lfd = s.lower ? this.lowerChain.dir(rel) : undefined;
    if (ufd === undefined && lfd === undefined) return undefined;
    const up = ufd === undefined ? [] : readDirFd(ufd);
    const low = lfd === undefined ? [] : readDirFd(lfd);
    if (!up.length) return low;
    const shadowed = new Set(up.map((e) => e.name));
    return [...up, ...low.filter((e) => !shadowed.has(e.name))];
  }

  /** The layer's directory descriptor and entry name that decide `rel` (upper first), or undefined when hidden. */
  private locate(rel: string): { dirfd: number; name: string } | undefined {
    const parentRel = parentOf(rel),
      name = nameOf(rel);
    const s = this.dir(parentRel);
    if (s.upper && this.upperChain) {
      const ufd = this.upperChain.dir(parentRel);
      if (ufd !== undefined && lstatIn(ufd, name)) return { dirfd: ufd, name };
    }
    if (!s.lower) return undefined;
    const lfd = this.lowerChain.dir(parentRel);
    return lfd === undefined ? undefined : { dirfd: lfd, name };
  }

  /** Opens regular file `rel` of the view (the caller closes fd); undefined when it is not one. */
  openFile(rel: string): { fd: number; size: number } | undefined {
    const at = this.locate(rel);
    return at && tryOpenFileIn(at.dirfd, at.name);
  }

  /** Like openFile, but says why not (a symlink names its target; an upper-dir whiteout is "missing"). */
  openFileOrThrow(rel: string): { fd: number; size: number } {
    const f = this.openFile(rel);
    if (f) return f;
    throw refusal(rel, this.kind(rel), 'file');
  }

  /** What `rel` is in the view, judged on the entry itself. */
  kind(rel: string): EntryKind {
    if (!rel) return { type: 'directory' };
    const at = this.locate(rel);
    if (!at) return { type: 'missing' };
    const k = kindIn(at.dirfd, at.name);
    return k.type === 'other' && k.what === 'a character device' && lstatIn(at.dirfd, at.name)?.rdev === 0 ? { type: 'missing' } : k;
  }

  /** Whether `rel` is a directory in this view. */
  isDir(rel: string): boolean {
    const s = this.dir(rel);
    return (s.upper && this.upperChain?.dir(rel) !== undefined) || (s.lower && this.lowerChain.dir(rel) !== undefined);
  }

  close(): void {
    this.lowerChain.close();
    this.upperChain?.close();
  }
}

/** Runs `fn` with a reader of `root`, closed afterwards. */
export function withReader<T>(root: TreeRoot, fn: (r: TreeReader) => T): T {
  const r = new TreeReader(root);
  try {
    return fn(r);
  } finally {
    r.close();
  }
}

export function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}
function nameOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}
