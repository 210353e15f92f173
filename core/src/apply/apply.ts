// Host-side applier (CLI; the extension reuses its checks): re-checks base hashes, then writes a plan atomically with a journal.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { type FileOp, patchPathProblem } from '../../../protocol/src/patches';
import { escapeUnsafe, unsafeChar } from '../policy/fold';
import { type JournalOp, lockJournal, type MergeJournal, newMergeId, recoverMerges, writeJournal } from './apply-journal';
import { currentHash } from './file-hash';

/** Streams full-file content by hash (the kernel's review/blob); returns fewer bytes than asked only at the end. */
export interface BlobSource {
  read(hash: string, offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
}

/** A plan op, or an undo op restoring a backup file / symlink kept in the journal. */
export type HostOp =
  | FileOp
  | {
      type: 'write';
      path: string;
      expect: string | null;
      content: { encoding: 'local'; file: string } | { encoding: 'symlink'; target: string };
      newHash: string;
      mode: number;
    };

export interface ApplyOptions {
  workspace: string;
  /** Host-side directory for this workspace's merge journals and backups (never inside the workspace). */
  journalDir: string;
  setId: string;
  blobs?: BlobSource;
  undoOf?: string;
  signal?: AbortSignal;
  /** Test hook: called after the journal says `committing` and after each commit step. */
  onStep?: (step: 'committing' | 'committed', index: number) => void | Promise<void>;
}

export interface ApplyResult {
  mergeId: string;
  paths: string[];
}

/**
 * Resolves a patch path for writing: refuses escapes and any symlinked or non-directory ancestor, and (as the kernel
 * does when it makes a patch set) bidirectional, zero-width and control characters, which make a path read differently.
 */
export function safeTarget(workspace: string, rel: string): string {
  const bad = unsafeChar(rel);
  const why = patchPathProblem(rel) ?? (bad && `path contains ${bad} (a bidirectional, zero-width or control character)`);
  if (why) throw new AirlockError('PATCH_UNSAFE_PATH', `refusing ${JSON.stringify(escapeUnsafe(rel.slice(0, 200)))}: ${why}`);
  const segs = rel.split('/');
  let cur = workspace;
  for (const seg of segs.slice(0, -1)) {
    cur = path.join(cur, seg);
    const st = lstatOrNull(cur);
    if (st && !st.isDirectory())
      throw new AirlockError(
        'PATCH_UNSAFE_PATH',
        `refusing ${JSON.stringify(rel)}: ${path.relative(workspace, cur)} is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'} in the workspace`,
        'a patch never writes through a symlink',
      );
    if (!st) break;
  }
  return path.join(workspace, rel);
}

/** Checks every op against the workspace now: safe path, expected kind and base hash. Throws on the first mismatch. */
export async function verifyOps(workspace: string, ops: HostOp[], signal?: AbortSignal): Promise<void> {
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.path)) throw new AirlockError('PATCH_BAD_PLAN', `the plan touches ${JSON.stringify(op.path)} twice`);
    seen.add(op.path);
    const abs = safeTarget(workspace, op.path);
    const st = lstatOrNull(abs);
    if (st && !(st.isFile() || (op.type === 'delete' && st.isSymbolicLink())))
      throw new AirlockError('PATCH_UNSAFE_PATH', `${JSON.stringify(op.path)} is not a regular file in the workspace`);
    const now = await currentHash(abs, signal);
    if (now !== op.expect) {
      throw new AirlockError(
        'PATCH_BASE_CHANGED',
        `${JSON.stringify(op.path)} changed in the workspace since the merge was planned; nothing was written`,
        'plan the merge again (airlock review merge SET) so it is made against your current files',
      );
    }
  }
}

export async function applyOps(ops: HostOp[], o: ApplyOptions): Promise<ApplyResult> {
  const workspace = fs.realpathSync(o.workspace);
  const unlock = lockJournal(o.journalDir);
  try {
    await recoverMerges(workspace, o.journalDir);
    await verifyOps(workspace, ops, o.signal);
    const mergeId = newMergeId();
    const mdir = path.join(o.journalDir, mergeId);
    fs.mkdirSync(mdir, { mode: 0o700 });
    const j: MergeJournal = {
      mergeId,
      setId: o.setId,
      createdAt: Date.now(),
      state: 'prepared',
      undoOf: o.undoOf,
      ops: [],
      createdDirs: [],
    };
    ops.forEach((op, i) => {
      const dir = path.dirname(op.path);
      j.ops.push({
        path: op.path,
        kind: op.type,
        before: op.expect,
        after: op.type === 'write' ? op.newHash : op.type === 'chmod' ? op.expect : null,
        tmp: op.type === 'delete' ? undefined : path.join(dir === '.' ? '' : dir, `.airlock-${mergeId}-${i}.tmp`),
      });
    });
    writeJournal(o.journalDir, j); // from here on, a crash is cleaned up by recoverMerges
    try {
      for (let i = 0; i < ops.length; i++) await prepare(workspace, mdir, ops[i], j.ops[i], j, o, i);
      writeJournal(o.journalDir, j);
    } catch (err) {
      for (const op of j.ops) if (op.tmp) fs.rmSync(path.join(workspace, op.tmp), { force: true });
      for (const d of [...j.createdDirs].reverse()) {
        try {
          fs.rmdirSync(path.join(workspace, d));
        } catch {
          /* keep */
        }
      }
      fs.rmSync(mdir, { recursive: true, force: true });
      throw err;
    }
    j.state = 'committing';
    writeJournal(o.journalDir, j);
    await o.onStep?.('committing', -1);
    for (let i = 0; i < j.ops.length; i++) {
      const op = j.ops[i];
      const abs = path.join(workspace, op.path);
      if (op.kind === 'delete') fs.rmSync(abs, { force: true });
      else fs.renameSync(path.join(workspace, op.tmp!), abs);
      await o.onStep?.('committed', i);
    }
    j.state = 'done';
    writeJournal(o.journalDir, j);
    // As git does, a folder the merge emptied goes too (after `done`: a crash leaves at most an empty folder; undo
    // recreates parents for the files it restores).
    for (const op of j.ops) if (op.kind === 'delete') removeEmptiedParents(workspace, op.path);
    return { mergeId, paths: ops.map((op) => op.path) };
  } finally {
    unlock();
  }
}

/** Backs up the current file and writes the temp file that will be renamed over it. */
async function prepare(
  workspace: string,
  mdir: string,
  op: HostOp,
  jop: JournalOp,
  j: MergeJournal,
  o: ApplyOptions,
  i: number,
): Promise<void> {
  o.signal?.throwIfAborted();
  const abs = path.join(workspace, op.path);
  const st = lstatOrNull(abs);
  if (st) {
    jop.beforeMode = st.mode & 0o777;
    if (st.isSymbolicLink()) jop.linkTarget = fs.readlinkSync(abs);
    else {
      // Writes replace by rename, so a hard link keeps the old content intact at no cost; copy across filesystems.
      jop.backup = path.join(mdir, `backup-${i}`);
      try {
        fs.linkSync(abs, jop.backup);
      } catch {
        fs.copyFileSync(abs, jop.backup);
      }
    }
  }
  if (op.type === 'delete') return;
  const owner = rootWritesFor(workspace);
  for (const d of missingDirs(workspace, path.dirname(op.path))) {
    fs.mkdirSync(path.join(workspace, d));
    if (owner) fs.chownSync(path.join(workspace, d), owner.uid, owner.gid);
    j.createdDirs.push(d);
  }
  const tmp = path.join(workspace, jop.tmp!);
  if (op.type === 'chmod') {
    fs.copyFileSync(abs, tmp);
    fs.chmodSync(tmp, op.mode);
    if (owner) fs.chownSync(tmp, owner.uid, owner.gid);
    return;
  }
  const c = op.content;
  if (c.encoding === 'symlink') {
    fs.symlinkSync(c.target, tmp);
    if (owner) fs.lchownSync(tmp, owner.uid, owner.gid);
    return;
  }
  const h = crypto.createHash('sha256');
  let localHash: string | undefined;
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  try {
    const put = (b: Uint8Array) => {
      h.update(b);
      let off = 0;
      while (off < b.length) off += fs.writeSync(fd, b, off);
    };
    if (c.encoding === 'utf8') put(Buffer.from(c.text, 'utf8'));
    else if (c.encoding === 'local') localHash = copyInto(c.file, fd).toString('hex');
    else {
      if (!o.blobs) throw new AirlockError('PATCH_NO_BLOB_SOURCE', `${op.path} needs full-file content but no blob source was given`);
      for (let off = 0; ;) {
        const chunk = await o.blobs.read(c.hash, off, 4 << 20, o.signal);
        if (!chunk.length) break;
        put(chunk);
        off += chunk.length;
      }
    }
    fs.fchmodSync(fd, op.mode);
    if (owner) fs.fchownSync(fd, owner.uid, owner.gid);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if ((localHash ?? h.digest('hex')) !== op.newHash)
    throw new AirlockError(
      'PATCH_CONTENT_MISMATCH',
      `the content written for ${JSON.stringify(op.path)} does not match its hash; nothing was merged`,
    );
}

function removeEmptiedParents(workspace: string, rel: string): void {
  for (let d = path.dirname(rel); d !== '.' && d !== '/' && d !== ''; d = path.dirname(d)) {
    try {
      fs.rmdirSync(path.join(workspace, d));
    } catch {
      return;
    } // not empty (or not a plain folder): stop
  }
}

/** Root merging into someone else's folder writes files as that folder's owner, as the owner's own editor would. */
function rootWritesFor(workspace: string): { uid: number; gid: number } | undefined {
  if ((process.getuid?.() ?? -1) !== 0) return undefined;
  const st = fs.statSync(workspace);
  return st.uid === 0 ? undefined : { uid: st.uid, gid: st.gid };
}

function copyInto(file: string, fd: number): Buffer {
  const h = crypto.createHash('sha256');
  const src = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(src, buf, 0, buf.length, null)) > 0;) {
      h.update(buf.subarray(0, n));
      let off = 0;
      while (off < n) off += fs.writeSync(fd, buf, off, n - off);
    }
  } finally {
    fs.closeSync(src);
  }
  return h.digest();
}

function missingDirs(workspace: string, dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; d && d !== '.'; d = path.dirname(d)) {
    if (lstatOrNull(path.join(workspace, d))) break;
    out.unshift(d);
  }
  return out;
}

export function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}
