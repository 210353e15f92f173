// Content hashes of workspace files, streamed (never a whole huge file in memory): SHA-256 and git blob ids.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';

export interface FileHashes {
  sha256: string;
  gitSha1: string;
  size: number;
}

export function sha256(data: string | Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** git's blob id: SHA-1 of `blob <size>\0<content>`. */
export function gitBlobId(data: Uint8Array): string {
  return crypto.createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

/** Hashes a regular file in 1 MiB chunks; a symlink hashes its target text (lstat semantics, never followed). */
export async function hashPath(file: string, signal?: AbortSignal): Promise<FileHashes> {
  const st = await fs.promises.lstat(file);
  if (st.isSymbolicLink()) {
    const target = Buffer.from(await fs.promises.readlink(file), 'utf8');
    return { sha256: sha256(target), gitSha1: gitBlobId(target), size: target.length };
  }
  const h = crypto.createHash('sha256');
  const g = crypto.createHash('sha1').update(`blob ${st.size}\0`);
  const fd = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let size = 0;
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await fd.read(buf, 0, buf.length, null);
      if (!bytesRead) break;
      h.update(buf.subarray(0, bytesRead));
      g.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
    // A file that changed size while we read it would give a git id for the wrong length: treat as a race.
    if (size !== st.size) throw new Error(`${file} changed while being hashed`);
    return { sha256: h.digest('hex'), gitSha1: g.digest('hex'), size };
  } finally {
    await fd.close();
  }
}

/** SHA-256 of whatever is at `file` (symlink target text for links), or null when nothing is there. */
export async function currentHash(file: string, signal?: AbortSignal): Promise<string | null> {
  try {
    return (await hashPath(file, signal)).sha256;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
