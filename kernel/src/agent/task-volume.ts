// A task's output volume as the kernel's tools see it: writes go into the overlay's upper dir (or the snapshot copy)
// while no sandbox has it mounted; reads see the task's edits over the read-only workspace.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import type { OutputVolume } from '../patches/volumes';
import { readOverlayAttrs } from '../patches/xattr';
import type { IOutputVolume } from './interfaces';
import type { ToolSpec } from './tools/types';
import { OverlayTree, type TreeRoot } from './tools/view';

/** Where a workspace-relative path stands in the task's view. */
export type Located = { type: 'output'; abs: string } | { type: 'deleted' } | { type: 'workspace' };

export class TaskVolume implements IOutputVolume {
  /** The writable tree: the overlay's upper dir, or the snapshot copy (bind-mounted as the sandbox's /workspace). */
  readonly root: string;

  /**
   * `beforeWrite` unmounts the overlay (destroys the task's sandbox) before the kernel touches the upper dir: overlayfs
   * does not define what a mounted overlay shows when its upper dir changes underneath it; unmounted, it is defined.
   */
  constructor(readonly vol: OutputVolume, private readonly workspace: string, private readonly beforeWrite: (signal: AbortSignal) => Promise<void>) {
    this.root = path.join(vol.dir, vol.kind === 'overlay' ? 'upper' : 'snapshot');
  }

  /** Normalises a relative path and refuses escapes (`..`, absolute paths, NUL). */
  private rel(p: string): string {
    const rel = path.posix.normalize(p.replace(/\\/g, '/').normalize('NFC')).replace(/^\.\/+/, '').replace(/\/+$/, '');
    if (!rel || rel === '.' || rel.startsWith('../') || rel === '..' || path.posix.isAbsolute(rel) || rel.includes('\0')) {
      throw new AirlockError(ErrorCodes.PathOutsideWorkspace, `path ${JSON.stringify(p.slice(0, 200))} is not a file inside the workspace`, 'use a path relative to the workspace root');
    }
    return rel;
  }

  /** Walks the writable tree component by component (lstat, never following symlinks a sandbox may have planted). */
  locate(p: string): Located {
    const parts = this.rel(p).split('/');
    let cur = this.root;
    for (const [i, part] of parts.entries()) {
      cur = path.join(cur, part);
      let st: fs.Stats;
      try { st = fs.lstatSync(cur); } catch { return this.vol.kind === 'overlay' ? { type: 'workspace' } : { type: 'deleted' }; }
      if (st.isCharacterDevice() && st.rdev === 0) return { type: 'deleted' }; // overlay whiteout
      if (st.isSymbolicLink()) throw unsafe(p, 'passes through a symlink created in the sandbox');
      const last = i === parts.length - 1;
      if (!last && !st.isDirectory()) return { type: 'deleted' };
      if (last) return st.isFile() ? { type: 'output', abs: cur } : st.isDirectory() ? { type: 'workspace' } : { type: 'deleted' };
    }
    return { type: 'workspace' };
  }

  /** The task's view for search.grep / search.glob / fs.list: the snapshot copy, the workspace while the upper dir is
   * empty (the fast path), else the upper dir over the workspace with its opaque dirs (one getfattr run). */
  async view(signal: AbortSignal): Promise<TreeRoot> {
    if (this.vol.kind !== 'overlay') return this.root;
    let empty = true;
    try { empty = fs.readdirSync(this.root).length === 0; } catch { /* no upper dir yet */ }
    if (empty) return this.workspace;
    return new OverlayTree(this.workspace, this.root, (await readOverlayAttrs(this.root, signal)).opaque);
  }

  async read(p: string): Promise<string | undefined> {
    const at = this.locate(p);
    if (at.type === 'output') return fs.promises.readFile(at.abs, 'utf8');
    if (at.type === 'deleted') return undefined;
    const abs = path.join(this.workspace, this.rel(p));
    try { return (await fs.promises.stat(abs)).isFile() ? await fs.promises.readFile(abs, 'utf8') : undefined; } catch { return undefined; }
  }

  async write(p: string, content: string, signal: AbortSignal): Promise<void> {
    const rel = this.rel(p);
    if (this.vol.kind === 'overlay') await this.beforeWrite(signal);
    signal.throwIfAborted();
    const parts = rel.split('/');
    let cur = this.root;
    for (const [i, part] of parts.slice(0, -1).entries()) {
      cur = path.join(cur, part);
      let st: fs.Stats | undefined;
      try { st = fs.lstatSync(cur); } catch { /* absent */ }
      if (!st) {
        // Copy the workspace directory's mode so the merged view (and the patch set) shows no mode change.
        let mode = 0o755;
        try { mode = fs.statSync(path.join(this.workspace, ...parts.slice(0, i + 1))).mode & 0o7777; } catch { /* new directory */ }
        fs.mkdirSync(cur, { mode });
        fs.chmodSync(cur, mode);
      } else if (st.isCharacterDevice() && st.rdev === 0) {
        throw new AirlockError('TOOL_WRITE_DELETED_DIR', `${parts.slice(0, i + 1).join('/')} was deleted earlier in this task`, 'recreate the directory with a command in the sandbox (mkdir) first');
      } else if (!st.isDirectory()) {
        throw unsafe(p, st.isSymbolicLink() ? 'passes through a symlink created in the sandbox' : `${parts.slice(0, i + 1).join('/')} is not a directory`);
      }
    }
    const target = path.join(cur, parts[parts.length - 1]);
    let mode = 0o644;
    try { mode = fs.statSync(path.join(this.workspace, rel)).mode & 0o7777; } catch { /* new file */ }
    try {
      const st = fs.lstatSync(target);
      if (st.isDirectory()) throw new AirlockError('TOOL_WRITE_IS_DIR', `${rel} is a directory`);
      if (st.isFile()) mode = st.mode & 0o7777;
      fs.unlinkSync(target); // whiteout, symlink or old copy: replaced, never followed
    } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; }
    // Exclusive create: nothing can be swapped in between the unlink and the write.
    await fs.promises.writeFile(target, content, { flag: 'wx', mode });
    fs.chmodSync(target, mode);
  }
}

/** fs.read / fs.exists that see the task's own edits: the file is read from the output tree when the task wrote it. */
export function overlayAware<T extends ToolSpec>(tool: T, vol: TaskVolume): T {
  return {
    ...tool,
    async run(input: { path: string }, ctx) {
      const at = vol.locate(input.path);
      if (at.type === 'deleted') {
        if (tool.name === 'fs.exists') return { content: JSON.stringify({ path: input.path, exists: false }) };
        throw new AirlockError(ErrorCodes.NotFound, `${input.path} was deleted in this task`);
      }
      return tool.run(input, at.type === 'output' ? { ...ctx, workspace: vol.root } : ctx);
    },
  } as T;
}

function unsafe(p: string, why: string): AirlockError {
  return new AirlockError('TOOL_UNSAFE_PATH', `${JSON.stringify(p.slice(0, 200))} ${why}`, 'write to another path');
}
