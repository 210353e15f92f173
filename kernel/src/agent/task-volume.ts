// A task's output volume as the kernel's tools see it: writes go into the overlay's upper dir (or the snapshot copy)
// while no sandbox has it mounted; reads see the task's edits over the read-only workspace.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { confinePath } from '../../../protocol/src/paths';
import type { OutputVolume } from '../patches/volumes';
import { openFileBeneath, readFd } from '../workspace/safe-open';
import type { IOutputVolume } from './interfaces';
import type { ToolSpec } from './tools/types';
import { OverlayTree, type TreeRoot } from './tools/view';

/** fs.edit and the workflow's evidence read whole files; a bigger one (a sandbox can write any size) is refused. */
const MAX_READ_BYTES = 16 * 1024 * 1024;
/** Makes the writable tree still: no sandbox that can write it runs afterwards (the task's sandbox is destroyed). */
export type Quiesce = (signal: AbortSignal, why: string) => Promise<void>;

/** Where a workspace-relative path stands in the task's view. */
export type Located = { type: 'output'; abs: string } | { type: 'deleted' } | { type: 'workspace' };

export class TaskVolume implements IOutputVolume {
  /** The writable tree: the overlay's upper dir, or the snapshot copy (bind-mounted as the sandbox's /workspace). */
  readonly root: string;

  /**
   * `quiesce` destroys the task's sandbox. Before the kernel writes the upper dir: overlayfs does not define what a
   * mounted overlay shows when its upper dir changes underneath it; unmounted, it is defined. Before the kernel reads
   * the writable tree: a process left running in the sandbox (a background command) could change it while we read.
   */
  constructor(
    readonly vol: OutputVolume,
    private readonly workspace: string,
    private readonly quiesce: Quiesce,
  ) {
    this.root = path.join(vol.dir, vol.kind === 'overlay' ? 'upper' : 'snapshot');
  }

  /**
   * Call before reading the task's view. While the overlay's upper dir is empty the view is the read-only workspace
   * and nothing needs to stop (a file a background process adds meanwhile is just not seen yet); otherwise, and always
   * for a snapshot (the sandbox's own bind mount), the sandbox is destroyed first (docs/tools.md).
   */
  async settle(signal: AbortSignal): Promise<'workspace' | 'tree'> {
    if (this.vol.kind === 'overlay') {
      let empty = true;
      try {
        empty = fs.readdirSync(this.root).length === 0;
      } catch {
        /* no upper dir yet */
      }
      if (empty) return 'workspace';
    }
    await this.quiesce(signal, 'the kernel reads the output volume');
    signal.throwIfAborted();
    return 'tree';
  }

  /**
   * Folds a relative path as the policy and the tools' safe opens do (protocol/src/paths.ts) and refuses escapes, the
   * root, NUL and control characters. A backslash is refused: the policy reads it as part of a name, so reading it
   * here as a separator would write a path the policy never judged, and no patch path may contain one.
   */
  private rel(p: string): string {
    const c = confinePath(undefined, p, { backslash: 'reject' });
    if (c.type !== 'ok' || !c.segments.length) {
      throw new AirlockError(
        ErrorCodes.PathOutsideWorkspace,
        `path ${JSON.stringify(p.slice(0, 200))} is not a file inside the workspace`,
        'use a path relative to the workspace root',
      );
    }
    return c.rel;
  }

  /** Walks the writable tree component by component (lstat, never following symlinks a sandbox may have planted). A
   * classification only: whatever it says, the file is then opened beneath the chosen root without following links. */
  locate(p: string): Located {
    const parts = this.rel(p).split('/');
    let cur = this.root;
    for (const [i, part] of parts.entries()) {
      cur = path.join(cur, part);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(cur);
      } catch {
        return this.vol.kind === 'overlay' ? { type: 'workspace' } : { type: 'deleted' };
      }
      if (st.isCharacterDevice() && st.rdev === 0) return { type: 'deleted' }; // overlay whiteout
      // The symlink is what the view has here: the tool opens the path without following it and reports it (FS_SYMLINK).
      if (st.isSymbolicLink()) return { type: 'output', abs: cur };
      const last = i === parts.length - 1;
      if (!last && !st.isDirectory()) return { type: 'deleted' };
      if (last) return st.isFile() ? { type: 'output', abs: cur } : st.isDirectory() ? { type: 'workspace' } : { type: 'deleted' };
    }
    return { type: 'workspace' };
  }

  /** The size a read of `p` would see in the task's view, for policy size limits (`max_size`): metadata only, the
   * content is opened after settle(). Undefined when the view has no such file (the limit then fails closed). */
  sizeOf(p: string): number | undefined {
    if (p === '' || p === '.' || p === './') return 0;
    let rel: string;
    try {
      rel = this.rel(p);
    } catch {
      return undefined;
    }
    const at = this.locate(rel);
    if (at.type === 'deleted') return undefined;
    try {
      const st = fs.lstatSync(at.type === 'output' ? at.abs : path.join(this.workspace, rel));
      // A symlink is never followed: a read returns its target text (FS_SYMLINK), whose length lstat gives.
      return st.isFile() || st.isSymbolicLink() ? st.size : st.isDirectory() ? 0 : undefined;
    } catch {
      return undefined;
    }
  }

  /** The task's view for search.grep / search.glob / fs.list: the snapshot copy, the workspace while the upper dir is
   * empty (the fast path), else the upper dir over the workspace (opaque dirs are read per directory as it walks). */
  async view(signal: AbortSignal): Promise<TreeRoot> {
    if ((await this.settle(signal)) === 'workspace') return this.workspace;
    return this.vol.kind === 'overlay' ? new OverlayTree(this.workspace, this.root) : this.root;
  }

  /** A file's content as the task sees it (undefined when absent); opened without following any symlink. */
  async read(p: string, signal: AbortSignal = new AbortController().signal): Promise<string | undefined> {
    const rel = this.rel(p);
    const at = (await this.settle(signal)) === 'workspace' ? { type: 'workspace' as const } : this.locate(rel);
    if (at.type === 'deleted') return undefined;
    let f: { fd: number; size: number };
    try {
      f = openFileBeneath(at.type === 'output' ? this.root : this.workspace, rel);
    } catch (err) {
      if ((err as AirlockError).code === ErrorCodes.NotFound) return undefined;
      throw err;
    }
    try {
      if (f.size > MAX_READ_BYTES)
        throw new AirlockError('TOOL_FILE_TOO_LARGE', `${rel} is ${f.size} bytes; the limit is ${MAX_READ_BYTES}`);
      return readFd(f.fd, f.size).toString('utf8');
    } finally {
      fs.closeSync(f.fd);
    }
  }

  async write(p: string, content: string, signal: AbortSignal): Promise<void> {
    const rel = this.rel(p);
    if (this.vol.kind === 'overlay') await this.quiesce(signal, 'the kernel writes into the output volume');
    signal.throwIfAborted();
    const parts = rel.split('/');
    let cur = this.root;
    for (const [i, part] of parts.slice(0, -1).entries()) {
      cur = path.join(cur, part);
      let st: fs.Stats | undefined;
      try {
        st = fs.lstatSync(cur);
      } catch {
        /* absent */
      }
      if (!st) {
        // Copy the workspace directory's mode so the merged view (and the patch set) shows no mode change.
        let mode = 0o755;
        try {
          mode = fs.statSync(path.join(this.workspace, ...parts.slice(0, i + 1))).mode & 0o7777;
        } catch {
          /* new directory */
        }
        fs.mkdirSync(cur, { mode });
        fs.chmodSync(cur, mode);
      } else if (st.isCharacterDevice() && st.rdev === 0) {
        throw new AirlockError(
          'TOOL_WRITE_DELETED_DIR',
          `${parts.slice(0, i + 1).join('/')} was deleted earlier in this task`,
          'recreate the directory with a command in the sandbox (mkdir) first',
        );
      } else if (!st.isDirectory()) {
        throw unsafe(
          p,
          st.isSymbolicLink() ? 'passes through a symlink created in the sandbox' : `${parts.slice(0, i + 1).join('/')} is not a directory`,
        );
      }
    }
    const target = path.join(cur, parts[parts.length - 1]);
    let mode = 0o644;
    try {
      mode = fs.statSync(path.join(this.workspace, rel)).mode & 0o7777;
    } catch {
      /* new file */
    }
    try {
      const st = fs.lstatSync(target);
      if (st.isDirectory()) throw new AirlockError('TOOL_WRITE_IS_DIR', `${rel} is a directory`);
      if (st.isFile()) mode = st.mode & 0o7777;
      fs.unlinkSync(target); // whiteout, symlink or old copy: replaced, never followed
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // Exclusive create: nothing can be swapped in between the unlink and the write.
    await fs.promises.writeFile(target, content, { flag: 'wx', mode });
    fs.chmodSync(target, mode);
  }
}

/** fs.read / fs.exists that see the task's own edits: the file is read from the output tree when the task wrote it
 * (after the sandbox is stopped, so nothing changes it while we read; the tool opens it without following symlinks).
 * `volume` may still be being made (task-run.ts prepares it during the first model request): a call waits for it. */
export function overlayAware<T extends ToolSpec>(tool: T, volume: TaskVolume | Promise<TaskVolume>): T {
  return {
    ...tool,
    async run(input: { path: string }, ctx) {
      const vol = await volume;
      if ((await vol.settle(ctx.signal)) === 'workspace') return tool.run(input, ctx);
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
