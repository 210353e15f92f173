// Patch-set persistence in the kernel state dir: one JSON file per set (set, decisions, merges) plus base-text blobs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { type PatchSet, PatchSetId, type ReviewState } from '../../../protocol/src/patches';
import type { MergedHunk, Verification } from '../../../protocol/src/provenance';

export interface MergeRecord {
  mergeId: string;
  outcome: 'merged' | 'undone' | 'failed';
  at: number;
  paths: string[];
}

export interface StoredSet {
  set: PatchSet;
  review: ReviewState;
  /** Where the full-file contents live (the set's folder of kept contents; older sets: the output dir), for blobs and exports. */
  sourceDir: string;
  merges: MergeRecord[];
  /** Paths whose accepted patch is fully in the workspace. */
  done: string[];
  /** The last verify-before-merge run (review/verify). */
  verification?: Verification;
  /** The last merge plan handed to the host (what review/merged says it applied): its digest and where its hunks land. */
  lastPlan?: { treeDigest: string; at: number; hunks: MergedHunk[] };
}

export class PatchStore {
  private readonly setsDir: string;
  private readonly blobsDir: string;
  private readonly contentsRoot: string;

  constructor(stateDir: string) {
    this.setsDir = path.join(stateDir, 'patches', 'sets');
    this.blobsDir = path.join(stateDir, 'patches', 'blobs');
    this.contentsRoot = path.join(stateDir, 'patches', 'files');
    fs.mkdirSync(this.setsDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.blobsDir, { recursive: true, mode: 0o700 });
  }

  save(s: StoredSet): void {
    atomicWrite(this.file(s.set.id), JSON.stringify(s));
  }

  get(id: string): StoredSet {
    const f = this.file(id);
    try {
      return JSON.parse(fs.readFileSync(f, 'utf8')) as StoredSet;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new AirlockError('PATCH_SET_NOT_FOUND', `no patch set ${id}`, '`airlock review list` shows the pending ones');
      throw err;
    }
  }

  ids(): string[] {
    return fs
      .readdirSync(this.setsDir)
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -5))
      .sort();
  }

  /** The folder of a set's kept full-file contents (keep.ts), laid out by workspace path. */
  contentsDir(id: string): string {
    return path.join(this.contentsRoot, path.basename(this.file(id), '.json'));
  }

  putBlob(hash: string, text: string): void {
    const f = path.join(this.blobsDir, hash);
    if (!fs.existsSync(f)) atomicWrite(f, text);
  }

  getBlob(hash: string): string | undefined {
    try {
      return fs.readFileSync(path.join(this.blobsDir, hash), 'utf8');
    } catch {
      return undefined;
    }
  }

  private file(id: string): string {
    if (!PatchSetId.safeParse(id).success) throw new AirlockError('PATCH_SET_NOT_FOUND', `${JSON.stringify(id)} is not a patch set id`);
    return path.join(this.setsDir, `${id}.json`);
  }
}

function atomicWrite(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode: 0o600 });
  fs.renameSync(tmp, file);
}
