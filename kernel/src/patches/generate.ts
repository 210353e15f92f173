// Patch-set generation: sandbox changes (scan.ts) compared with the base workspace → validated file patches.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { gitBlobId, hashPath, sha256 } from '../../../core/src/apply/file-hash';
import type { BlockedChange, FilePatch, PatchSet } from '../../../protocol/src/patches';
import { pathProblem, protectedReason, type ProtectedCheck } from './paths';
import { type Change, type ScanResult, walkTree, yielder } from './scan';
import { asText, countChanges, makeHunks } from './text';

export interface GenerateOptions {
  /** The base tree (the overlay's lowerdir as the kernel sees it). */
  workspace: string;
  scan: ScanResult;
  source: PatchSet['source'];
  isProtected?: ProtectedCheck;
  /** Larger files go to full-file mode without being read into memory. */
  maxDiffBytes?: number;
  maxFiles?: number;
  /** Keeps base text of modified files so a later three-way merge has its base. */
  saveBaseText?: (hash: string, text: string) => void;
  taskId?: string;
  sandboxId?: string;
  testsPassed?: boolean | null;
  signal?: AbortSignal;
}

export const DEFAULT_MAX_DIFF_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 50_000;
const EMPTY_SHA = sha256('');

export function newPatchSetId(): string {
  return `ps_${Date.now().toString(36)}_${crypto.randomBytes(5).toString('hex')}`;
}

export async function generatePatchSet(o: GenerateOptions): Promise<PatchSet> {
  const maxDiff = o.maxDiffBytes ?? DEFAULT_MAX_DIFF_BYTES;
  const files = new Map<string, FilePatch>();
  const blocked: BlockedChange[] = [];
  const warnings = [...o.scan.warnings];
  const symlinkParent = new Map<string, boolean>();
  const baseAbs = (rel: string) => path.join(o.workspace, rel);

  /** True when some ancestor of rel in the base is a symlink (a write there could land outside the workspace). */
  const parentIsLink = (rel: string): boolean => {
    const segs = rel.split('/');
    let cur = '';
    for (let i = 0; i < segs.length - 1; i++) {
      cur = cur ? `${cur}/${segs[i]}` : segs[i];
      let v = symlinkParent.get(cur);
      if (v === undefined) {
        const st = lstatOrNull(baseAbs(cur));
        v = !!st && !st.isDirectory();
        symlinkParent.set(cur, v);
      }
      if (v) return true;
    }
    return false;
  };
  const check = (rel: string): boolean => {
    const why =
      pathProblem(rel) ??
      protectedReason(rel, o.isProtected) ??
      (parentIsLink(rel) ? 'a parent directory is a symlink or file in the workspace' : undefined);
    if (why) blocked.push({ path: rel, reason: why });
    return !why;
  };

  const deleteBase = async (rel: string): Promise<void> => {
    const st = lstatOrNull(baseAbs(rel));
    if (!st) return; // whiteout over something the base never had
    if (st.isDirectory()) {
      await walkTree(o.workspace, rel, (r) => deleteBase(r), o.signal);
      return;
    }
    if (!check(rel)) return;
    if (st.isSymbolicLink()) {
      const linkTarget = fs.readlinkSync(baseAbs(rel));
      files.set(rel, {
        type: 'delete',
        path: rel,
        baseHash: sha256(linkTarget),
        oldMode: 0o777,
        hunks: [],
        removed: 0,
        symlink: true,
        linkTarget,
      });
      return;
    }
    if (!st.isFile()) {
      blocked.push({ path: rel, reason: 'special files are never merged' });
      return;
    }
    const mode = st.mode & 0o777;
    if (st.size > maxDiff) {
      const h = await hashPath(baseAbs(rel), o.signal);
      files.set(rel, {
        type: 'delete',
        path: rel,
        baseHash: h.sha256,
        oldMode: mode,
        hunks: [],
        removed: 0,
        symlink: false,
        gitOld: h.gitSha1,
      });
      return;
    }
    const buf = readNoFollow(baseAbs(rel));
    const text = asText(buf);
    const hunks = text === null ? [] : makeHunks(rel, text, '');
    files.set(rel, {
      type: 'delete',
      path: rel,
      baseHash: sha256(buf),
      oldMode: mode,
      hunks,
      removed: countChanges(hunks).removed,
      symlink: false,
      gitOld: gitBlobId(buf),
    });
  };

  const write = async (c: Extract<Change, { type: 'write' }>): Promise<void> => {
    const { rel } = c;
    if (!check(rel)) return;
    const st = fs.lstatSync(c.src);
    const newMode = st.mode & 0o777;
    const base = lstatOrNull(baseAbs(rel));
    if (base?.isDirectory())
      await deleteBase(rel); // a file replaced a whole directory
    else if (base && !base.isFile()) {
      blocked.push({ path: rel, reason: 'replaces a symlink or special file in the workspace' });
      return;
    }
    const baseFile = base?.isFile() ? base : null;
    const oldMode = baseFile ? baseFile.mode & 0o777 : null;
    if (baseFile && c.metacopy) {
      // data still lives in the base: only metadata changed
      if (oldMode !== newMode)
        files.set(rel, { type: 'mode', path: rel, baseHash: (await hashPath(baseAbs(rel), o.signal)).sha256, oldMode: oldMode!, newMode });
      return;
    }
    if (st.size > maxDiff || (baseFile && baseFile.size > maxDiff)) {
      const n = await hashPath(c.src, o.signal);
      const b = baseFile ? await hashPath(baseAbs(rel), o.signal) : null;
      if (b && b.sha256 === n.sha256) {
        if (oldMode !== newMode) files.set(rel, { type: 'mode', path: rel, baseHash: b.sha256, oldMode: oldMode!, newMode });
        return;
      }
      files.set(rel, {
        type: 'binary',
        path: rel,
        reason: 'huge',
        baseHash: b?.sha256 ?? null,
        newHash: n.sha256,
        oldMode,
        newMode,
        oldSize: b?.size ?? null,
        size: n.size,
        gitOld: b?.gitSha1 ?? null,
        gitNew: n.gitSha1,
      });
      return;
    }
    const nb = readNoFollow(c.src);
    const bb = baseFile ? readNoFollow(baseAbs(rel)) : null;
    if (bb && bb.equals(nb)) {
      if (oldMode !== newMode) files.set(rel, { type: 'mode', path: rel, baseHash: sha256(bb), oldMode: oldMode!, newMode });
      return; // copied up but unchanged (touch, chown...)
    }
    const nt = asText(nb);
    const bt = bb ? asText(bb) : '';
    if (nt === null || bt === null) {
      const reason = [nb, bb].some((b) => b?.subarray(0, 8000).includes(0)) ? 'binary' : 'encoding';
      files.set(rel, {
        type: 'binary',
        path: rel,
        reason,
        baseHash: bb ? sha256(bb) : null,
        newHash: sha256(nb),
        oldMode,
        newMode,
        oldSize: bb?.length ?? null,
        size: nb.length,
        gitOld: bb ? gitBlobId(bb) : null,
        gitNew: gitBlobId(nb),
      });
      return;
    }
    const hunks = makeHunks(rel, bt, nt);
    const { added, removed } = countChanges(hunks);
    if (!bb) {
      files.set(rel, { type: 'add', path: rel, newHash: sha256(nb), newMode, hunks, added });
      return;
    }
    const baseHash = sha256(bb);
    o.saveBaseText?.(baseHash, bt);
    files.set(rel, { type: 'modify', path: rel, baseHash, newHash: sha256(nb), oldMode: oldMode!, newMode, hunks, added, removed });
  };

  let writes = 0;
  // Every change costs synchronous reads and a diff: the event loop gets a turn every few milliseconds.
  const pause = yielder(o.signal);
  for (const c of o.scan.changes) {
    o.signal?.throwIfAborted();
    await pause();
    switch (c.type) {
      case 'write':
        if (++writes > (o.maxFiles ?? DEFAULT_MAX_FILES)) {
          throw new AirlockError(
            'PATCH_TOO_MANY_FILES',
            `the sandbox changed more than ${o.maxFiles ?? DEFAULT_MAX_FILES} files`,
            'split the task, or raise patches.maxFiles in the kernel configuration',
          );
        }
        await write(c);
        break;
      case 'delete':
        await deleteBase(c.rel);
        break;
      case 'dir': {
        const st = lstatOrNull(baseAbs(c.rel));
        if (st && !st.isDirectory()) await deleteBase(c.rel);
        break;
      }
      case 'opaque': {
        const dir = baseAbs(c.rel);
        const st = lstatOrNull(dir);
        if (st?.isDirectory()) {
          for (const name of await fs.promises.readdir(dir))
            if (!c.keep.has(name)) {
              await pause();
              await deleteBase(c.rel ? `${c.rel}/${name}` : name);
            }
        }
        break;
      }
      case 'symlink': {
        const base = lstatOrNull(baseAbs(c.rel));
        if (base?.isSymbolicLink() && fs.readlinkSync(baseAbs(c.rel)) === fs.readlinkSync(c.src)) break;
        blocked.push({ path: c.rel, reason: 'symlinks are never merged (a link could point outside the workspace)' });
        break;
      }
      case 'blocked':
        blocked.push({ path: c.rel, reason: c.reason });
        break;
      default: {
        const never: never = c;
        throw new Error(`unknown change ${JSON.stringify(never)}`);
      }
    }
  }
  const list = detectRenames([...files.values()]).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  let added = 0;
  let removed = 0;
  for (const f of list) {
    if (f.type === 'modify') {
      added += f.added;
      removed += f.removed;
    } else if (f.type === 'add') added += f.added;
    else if (f.type === 'delete') removed += f.removed;
  }
  return {
    id: newPatchSetId(),
    taskId: o.taskId,
    sandboxId: o.sandboxId,
    createdAt: Date.now(),
    source: o.source,
    files: list,
    blocked,
    warnings,
    stats: { files: list.length, added, removed },
    testsPassed: o.testsPassed ?? null,
    status: 'pending',
  };
}

/** A deleted file and an added file with the same (non-empty) content become one rename. */
export function detectRenames(files: FilePatch[]): FilePatch[] {
  const deletes = new Map<string, Extract<FilePatch, { type: 'delete' }>[]>();
  for (const f of files)
    if (f.type === 'delete' && !f.symlink && f.baseHash !== EMPTY_SHA) {
      const l = deletes.get(f.baseHash) ?? [];
      l.push(f);
      deletes.set(f.baseHash, l);
    }
  if (!deletes.size) return files;
  const out: FilePatch[] = [];
  const used = new Set<FilePatch>();
  for (const f of files) {
    const hash = f.type === 'add' ? f.newHash : f.type === 'binary' && f.baseHash === null ? f.newHash : undefined;
    const d = hash ? deletes.get(hash)?.shift() : undefined;
    if (!d || (f.type !== 'add' && f.type !== 'binary')) {
      out.push(f);
      continue;
    }
    used.add(d);
    out.push({ type: 'rename', from: d.path, path: f.path, baseHash: d.baseHash, oldMode: d.oldMode, newMode: f.newMode });
  }
  return out.filter((f) => !used.has(f));
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw err;
  }
}

/** Reads a file refusing a symlink swapped in since lstat (a sandbox may still be running). */
function readNoFollow(p: string): Buffer {
  const fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
