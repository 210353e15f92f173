// Opens paths beneath a root without ever following a symlink: each component is opened through its parent's descriptor.
import * as fs from 'node:fs';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { confinePath } from '../../../protocol/src/paths';

/*
 * Node has no openat(2). On Linux (the kernel always runs there) `/proc/self/fd/<dirfd>/<name>` is the same lookup:
 * the magic link resolves to the directory the descriptor refers to, wherever it has been moved since, and O_NOFOLLOW
 * applies to `name`, the final component. So a sandbox that swaps a file or directory for a symlink between our checks
 * can at worst make an open fail: it can never redirect it. Decisions are made on the opened descriptor (fstat), never
 * on a path. O_NONBLOCK: opening a fifo a sandbox planted must not block the kernel (it is then refused as not regular).
 */
const C = fs.constants;
const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW | C.O_NONBLOCK;
const FILE_FLAGS = C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK | C.O_NOCTTY;

/** The path through which `name` is looked up in the directory `dirfd` (never pass it to anything that follows). */
export function at(dirfd: number, name: string): string {
  return `/proc/self/fd/${dirfd}/${name}`;
}

/**
 * Components of a root-relative path (protocol/src/paths.ts). `.` and `a/..` are folded lexically (never through the
 * file system, so a symlinked `a` changes nothing); a path that climbs above the root, an absolute path, a NUL byte or
 * a control character is refused.
 */
export function components(rel: string): string[] {
  if (rel === '') return []; // the root, as callers that joined `[]` pass it back (tool inputs are never empty)
  const c = confinePath(undefined, rel);
  switch (c.type) {
    case 'ok':
      return c.segments;
    case 'absolute':
      throw outside(rel, 'is absolute');
    case 'outside':
      throw outside(rel, 'is outside the workspace');
    case 'invalid':
      throw outside(rel, c.reason);
  }
}

/** Opens the root directory itself: a path the kernel chose (its workspace mount, a volume dir), so it may be followed. */
export function openRoot(dir: string): number {
  return fs.openSync(dir, C.O_RDONLY | C.O_DIRECTORY);
}

/** lstat of `name` in `dirfd` (the entry itself, never what a symlink points to); undefined when absent. */
export function lstatIn(dirfd: number, name: string): fs.Stats | undefined {
  return fs.lstatSync(at(dirfd, name), { throwIfNoEntry: false });
}

/** A symlink's target text (readlink does not follow the final component). */
export function readlinkIn(dirfd: number, name: string): string {
  try {
    return fs.readlinkSync(at(dirfd, name));
  } catch {
    return '?';
  }
}

/** Directory entries of an open directory (types from readdir, good for filtering, never for opening decisions). */
export function readDirFd(dirfd: number): fs.Dirent[] {
  return fs.readdirSync(`/proc/self/fd/${dirfd}`, { withFileTypes: true });
}

/** Opens subdirectory `name` of `dirfd`; undefined when it is absent, a symlink or not a directory. */
export function tryOpenDirIn(dirfd: number, name: string): number | undefined {
  try {
    return fs.openSync(at(dirfd, name), DIR_FLAGS);
  } catch {
    return undefined;
  }
}

/** Opens regular file `name` of `dirfd`; undefined when it is absent, a symlink or anything but a regular file. */
export function tryOpenFileIn(dirfd: number, name: string): { fd: number; size: number } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(at(dirfd, name), FILE_FLAGS);
  } catch {
    return undefined;
  }
  const st = fs.fstatSync(fd);
  if (st.isFile()) return { fd, size: st.size };
  fs.closeSync(fd);
  return undefined;
}

/** What an entry is, judged on the entry itself (lstat through the parent's descriptor). */
export type EntryKind =
  | { type: 'file'; size: number }
  | { type: 'directory' }
  | { type: 'symlink'; target: string }
  | { type: 'other'; what: string }
  | { type: 'missing' };

export function kindIn(dirfd: number, name: string): EntryKind {
  const st = lstatIn(dirfd, name);
  if (!st) return { type: 'missing' };
  if (st.isFile()) return { type: 'file', size: st.size };
  if (st.isDirectory()) return { type: 'directory' };
  if (st.isSymbolicLink()) return { type: 'symlink', target: readlinkIn(dirfd, name) };
  return {
    type: 'other',
    what: st.isFIFO() ? 'a fifo' : st.isSocket() ? 'a socket' : st.isCharacterDevice() ? 'a character device' : 'a block device',
  };
}

/** The error for an entry that cannot be opened as asked (symlinks name their target; they are never followed). */
export function refusal(rel: string, k: EntryKind, want: 'file' | 'directory'): AirlockError {
  const q = JSON.stringify(rel.slice(0, 200));
  switch (k.type) {
    case 'symlink':
      return new AirlockError(
        'FS_SYMLINK',
        `${q} is a symlink to ${JSON.stringify(k.target.slice(0, 500))}; symlinks are never followed`,
        'read the target path instead if it is inside the workspace',
      );
    case 'missing':
      return new AirlockError(ErrorCodes.NotFound, `${q} does not exist in the workspace`);
    case 'other':
      return new AirlockError('FS_NOT_REGULAR', `${q} is ${k.what}, not a ${want}`, 'only regular files and directories can be read');
    case 'file':
      return new AirlockError(ErrorCodes.NotFound, `${q} is a file, not a directory`, 'use fs.read for files');
    case 'directory':
      return new AirlockError(ErrorCodes.NotFound, `${q} is a directory, not a regular file`, 'use fs.list for directories');
    default: {
      const never: never = k;
      throw new Error(`unknown entry kind ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Opens the directory `parts` beneath `rootfd` one component at a time, never following a symlink. Returns its
 * descriptor (the caller closes it; `rootfd` itself for no parts) or throws the refusal for the first bad component.
 */
export function openDirPath(rootfd: number, parts: readonly string[], rel = parts.join('/')): number {
  let fd = rootfd;
  for (let i = 0; i < parts.length; i++) {
    const next = tryOpenDirIn(fd, parts[i]);
    if (next === undefined) {
      const k = kindIn(fd, parts[i]);
      if (fd !== rootfd) fs.closeSync(fd);
      throw refusal(i === parts.length - 1 ? rel : parts.slice(0, i + 1).join('/'), k, 'directory');
    }
    if (fd !== rootfd) fs.closeSync(fd);
    fd = next;
  }
  return fd;
}

/** Opens regular file `rel` beneath directory `root` (see openDirPath); the caller closes `fd`. */
export function openFileBeneath(root: string, rel: string): { fd: number; size: number } {
  const parts = components(rel);
  if (!parts.length) throw refusal(rel, { type: 'directory' }, 'file');
  const rootfd = openRoot(root);
  let dir = rootfd;
  try {
    dir = openDirPath(rootfd, parts.slice(0, -1));
    const name = parts[parts.length - 1];
    const f = tryOpenFileIn(dir, name);
    if (!f) throw refusal(parts.join('/'), kindIn(dir, name), 'file');
    return f;
  } finally {
    if (dir !== rootfd) fs.closeSync(dir);
    fs.closeSync(rootfd);
  }
}

/** What `rel` beneath `root` is, without following any symlink on the way (a symlinked parent is reported as such). */
export function kindBeneath(root: string, rel: string): EntryKind & { at?: string } {
  const parts = components(rel);
  if (!parts.length) return { type: 'directory' };
  const rootfd = openRoot(root);
  let dir = rootfd;
  try {
    for (let i = 0; i < parts.length - 1; i++) {
      const next = tryOpenDirIn(dir, parts[i]);
      if (next === undefined) {
        const k = kindIn(dir, parts[i]);
        return k.type === 'symlink' ? { ...k, at: parts.slice(0, i + 1).join('/') } : { type: 'missing' };
      }
      if (dir !== rootfd) fs.closeSync(dir);
      dir = next;
    }
    return kindIn(dir, parts[parts.length - 1]);
  } finally {
    if (dir !== rootfd) fs.closeSync(dir);
    fs.closeSync(rootfd);
  }
}

/** Reads up to `max` bytes of an open file from offset 0 (a file that shrinks meanwhile just gives fewer bytes). */
export function readFd(fd: number, max: number, scratch?: Buffer): Buffer {
  const buf = scratch && scratch.length >= max ? scratch : Buffer.allocUnsafe(max);
  let n = 0;
  while (n < max) {
    const r = fs.readSync(fd, buf, n, max - n, n);
    if (r === 0) break;
    n += r;
  }
  return buf.subarray(0, n);
}

function outside(requested: string, why: string): AirlockError {
  return new AirlockError(
    ErrorCodes.PathOutsideWorkspace,
    `path ${JSON.stringify(requested.slice(0, 200))} ${why}`,
    'only files inside the workspace folder can be read; use a path relative to the workspace root',
  );
}

/**
 * The open directories from a root down to the one used last: a depth-first walk asks for a child of the directory it
 * just listed, so each directory costs one open through its parent's descriptor. Close it when done.
 */
export class DirChain {
  private readonly chain: Array<{ rel: string; fd: number }>;

  constructor(root: string) {
    this.chain = [{ rel: '', fd: openRoot(root) }];
  }

  /** The descriptor of directory `rel` ('' = root; components as from readdir), or undefined when it is not one. */
  dir(rel: string): number | undefined {
    let i = this.chain.length - 1;
    while (i > 0 && rel !== this.chain[i].rel && !rel.startsWith(`${this.chain[i].rel}/`)) i--;
    while (this.chain.length > i + 1) fs.closeSync(this.chain.pop()!.fd);
    let { rel: cur, fd } = this.chain[i];
    if (cur === rel) return fd;
    for (const name of (cur ? rel.slice(cur.length + 1) : rel).split('/')) {
      if (name === '' || name === '.' || name === '..') return undefined;
      const next = tryOpenDirIn(fd, name);
      if (next === undefined) return undefined;
      cur = cur ? `${cur}/${name}` : name;
      this.chain.push({ rel: cur, fd: next });
      fd = next;
    }
    return fd;
  }

  close(): void {
    while (this.chain.length) fs.closeSync(this.chain.pop()!.fd);
  }
}
