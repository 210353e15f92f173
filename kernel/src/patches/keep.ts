// Kept contents: what a patch set reads after generation (full-file binaries, renames), copied out of the task's
// output dir (a tmpfs that a kernel restart empties) into the state volume: sparse, verified, under a byte limit.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BlockedChange, FilePatch, PatchSet } from '../../../protocol/src/patches';

/** Data bytes one set may keep (holes cost nothing): a task's output quota. What does not fit is blocked; the rest
 * of the set stays reviewable. */
export const DEFAULT_KEEP_BYTES = 1024 ** 3;
const CHUNK = 1 << 20;
const ZERO = Buffer.alloc(CHUNK);

type NeedsContent = Extract<FilePatch, { type: 'binary' | 'rename' }>;
const needsContent = (f: FilePatch): f is NeedsContent => f.type === 'binary' || f.type === 'rename';
/** The content review/blob serves for the file (a rename's content is its base content, read at the new path). */
const contentHash = (f: NeedsContent): string => (f.type === 'binary' ? f.newHash : f.baseHash);

type Copied = { ok: true; data: number; sha256: string } | { ok: false; reason: string };

/** Copies the contents `set` needs from `from` (the upper dir or snapshot) to `to`, same relative paths. A file that
 * does not fit in `limit` or does not hash as the set says is moved to `blocked` (with its reason). */
export async function keepContents(
  set: PatchSet,
  from: string,
  to: string,
  limit = DEFAULT_KEEP_BYTES,
  signal?: AbortSignal,
): Promise<PatchSet> {
  let left = limit;
  const files: FilePatch[] = [];
  const blocked: BlockedChange[] = [...set.blocked];
  for (const f of set.files) {
    if (!needsContent(f)) {
      files.push(f);
      continue;
    }
    const dst = path.join(to, f.path);
    const r = await copySparse(path.join(from, f.path), dst, left, signal);
    if (r.ok && r.sha256 === contentHash(f)) {
      left -= r.data;
      files.push(f);
      continue;
    }
    fs.rmSync(dst, { force: true });
    blocked.push({
      path: f.path,
      reason: r.ok
        ? 'its content changed after the patch set was generated'
        : `${r.reason} (a patch set keeps at most ${limit} bytes of full-file content for review)`,
    });
  }
  if (files.length === set.files.length) return set;
  return { ...set, files, blocked, stats: { ...set.stats, files: files.length } };
}

/** Reads `src` (never through a symlink) in 1 MiB chunks, writes only the non-zero ones: zero runs become holes, so
 * a sparse file stays sparse and a run of zeros costs no space. Stops once the data exceeds `budget`. */
async function copySparse(src: string, dst: string, budget: number, signal?: AbortSignal): Promise<Copied> {
  let input: fs.promises.FileHandle;
  try {
    input = await fs.promises.open(src, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (err) {
    return { ok: false, reason: `its content could not be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  try {
    if (!(await input.stat()).isFile()) return { ok: false, reason: 'not a regular file in the output' };
    await fs.promises.mkdir(path.dirname(dst), { recursive: true, mode: 0o700 });
    const out = await fs.promises.open(dst, 'wx', 0o600);
    try {
      const h = crypto.createHash('sha256');
      const buf = Buffer.allocUnsafe(CHUNK);
      let pos = 0;
      let data = 0;
      for (;;) {
        signal?.throwIfAborted();
        const { bytesRead } = await input.read(buf, 0, CHUNK, pos);
        if (!bytesRead) break;
        const chunk = buf.subarray(0, bytesRead);
        h.update(chunk);
        if (!chunk.equals(ZERO.subarray(0, bytesRead))) {
          data += bytesRead;
          if (data > budget) return { ok: false, reason: 'too large to keep' };
          await out.write(chunk, 0, bytesRead, pos);
        }
        pos += bytesRead;
      }
      await out.truncate(pos);
      return { ok: true, data, sha256: h.digest('hex') };
    } finally {
      await out.close();
    }
  } finally {
    await input.close();
  }
}
