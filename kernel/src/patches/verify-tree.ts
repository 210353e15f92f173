// The accepted tree of a merge plan: its digest (what a verification is of) and its files written into a fresh output dir.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import type { FileOp, MergePlan } from '../../../protocol/src/patches';
import { sha256 } from '../../../core/src/apply/file-hash';

/**
 * sha256 over what the merge changes: every op's path, the hash it applies on, the hash and mode it leaves, plus the
 * hunks it holds. Two plans with the same digest write the same bytes onto the same files, so a verification counts
 * for a merge only when the merge's plan has its digest.
 */
export function acceptedTreeDigest(plan: Pick<MergePlan, 'ops' | 'appliedHunks'>): string {
  const ops = plan.ops
    .map((o) => {
      switch (o.type) {
        case 'write':
          return ['w', o.path, o.expect, o.newHash, o.mode];
        case 'delete':
          return ['d', o.path, o.expect];
        case 'chmod':
          return ['c', o.path, o.expect, o.mode];
        default: {
          const never: never = o;
          throw new Error(`unknown op ${JSON.stringify(never)}`);
        }
      }
    })
    .sort((a, b) => (a[1] as string).localeCompare(b[1] as string) || (a[0] as string).localeCompare(b[0] as string));
  return `sha256:${sha256(JSON.stringify({ ops, hunks: [...plan.appliedHunks].sort() }))}`;
}

/** Reads a full-file content by hash (the set's kept contents, review/blob's source). */
export type BlobReader = (hash: string) => Buffer;

/**
 * Writes the plan's results under `root` (an overlay upper dir over the workspace, or a copied snapshot of it). No
 * path component may be a symlink, in `root` or in the workspace the overlay shows: a link could point the write
 * anywhere the kernel can reach (its state volume), and the host's applier refuses such a merge anyway.
 */
export function writeAcceptedTree(root: string, workspace: string, ops: readonly FileOp[], blob: BlobReader): void {
  for (const op of ops) {
    const parts = op.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      for (const base of [workspace, root]) {
        const st = lstatOrNull(path.join(base, rel));
        if (st && !st.isDirectory())
          throw new AirlockError('PATCH_VERIFY_UNSAFE_PATH', `${rel} is not a directory (a symlink?); ${op.path} cannot be verified`);
      }
      const dir = path.join(root, rel);
      if (!lstatOrNull(dir)) fs.mkdirSync(dir, { mode: 0o755 });
    }
    const file = path.join(root, op.path);
    const cur = lstatOrNull(file);
    if (cur?.isSymbolicLink() || cur?.isDirectory())
      throw new AirlockError('PATCH_VERIFY_UNSAFE_PATH', `${op.path} is not a regular file in the tree to verify`);
    switch (op.type) {
      case 'write': {
        const data = op.content.encoding === 'utf8' ? Buffer.from(op.content.text, 'utf8') : blob(op.content.hash);
        if (sha256(data) !== op.newHash)
          throw new AirlockError('PATCH_VERIFY_CONTENT', `the content planned for ${op.path} does not match its hash`);
        if (cur) fs.unlinkSync(file);
        fs.writeFileSync(file, data, { mode: op.mode & 0o777, flag: 'wx' });
        fs.chmodSync(file, op.mode & 0o7777);
        break;
      }
      case 'delete': {
        // Only a snapshot can delete: removing a file from an upper dir would leave the workspace's copy visible.
        if (root === workspace || !cur)
          throw new AirlockError('PATCH_VERIFY_CONTENT', `${op.path} cannot be deleted in the tree to verify`);
        fs.unlinkSync(file);
        break;
      }
      case 'chmod': {
        // An overlay copies a file up on chmod; a snapshot has it already.
        if (!cur) {
          if (!lstatOrNull(path.join(workspace, op.path))?.isFile())
            throw new AirlockError('PATCH_VERIFY_UNSAFE_PATH', `${op.path} is not a regular file`);
          fs.copyFileSync(path.join(workspace, op.path), file);
        }
        fs.chmodSync(file, op.mode & 0o7777);
        break;
      }
      default: {
        const never: never = op;
        throw new Error(`unknown op ${JSON.stringify(never)}`);
      }
    }
  }
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
