// A chat follow-up starts from the conversation's open proposal: its output volume is seeded with the newest set still under review.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import type { MergePlan, ReviewState } from '../../../protocol/src/patches';
import type { StoredSet } from '../patches/store';
import type { PatchService } from '../patches/service';
import { scanSnapshot, scanUpper } from '../patches/scan';
import { patchSource, type OutputVolume } from '../patches/volumes';
import { readWholeBlob } from '../patches/verify';
import { writeAcceptedTree } from '../patches/verify-tree';

/** What a follow-up's volume starts with: the plan of the proposal's open changes against the workspace as it is now. */
export interface Seed {
  setId: string;
  plan: MergePlan;
}
export interface SeedChoice {
  seed?: Seed;
  /** Sets named but not found (a kernel whose state was reset): left out, said in the audit entry. */
  unknown: string[];
}

/**
 * The seed of a turn given the conversation's sets (oldest first). Each turn's set holds everything the conversation
 * proposes at that point (its volume started from the set before), so the newest set not wholly rejected is the
 * proposal: a rewind rejects the dropped turns' sets, so a follow-up after it starts from the turn it went back to.
 * What the person rejected or already merged is not seeded: the workspace has what was merged, and a rejected change
 * must not come back unasked.
 */
export async function proposalSeed(
  patches: Pick<PatchService, 'show' | 'plan'>,
  sets: readonly string[],
  signal: AbortSignal,
): Promise<SeedChoice> {
  const unknown: string[] = [];
  for (const id of [...sets].reverse()) {
    let s: StoredSet;
    try {
      s = patches.show(id);
    } catch {
      unknown.push(id);
      continue;
    }
    if (s.set.status === 'rejected') continue;
    return { seed: { setId: id, plan: await patches.plan(id, signal, openReview(s)) }, unknown };
  }
  return { unknown };
}

/** Every change of the set accepted, except those the person rejected and those already in the workspace (`done`). */
export function openReview(s: Pick<StoredSet, 'set' | 'review' | 'done'>): ReviewState {
  const done = new Set(s.done);
  const out: ReviewState = {};
  for (const f of s.set.files) {
    const cur = s.review[f.path];
    const whole = done.has(f.path);
    const hunks: Record<string, 'accept' | 'reject'> = { ...(cur?.hunks ?? {}) };
    if ('hunks' in f) for (const h of f.hunks) if (whole || done.has(h.id)) hunks[h.id] = 'reject';
    out[f.path] = { file: whole || cur?.file === 'reject' ? 'reject' : 'accept', hunks };
  }
  return out;
}

/** Overlay volumes cannot hide a workspace file (no whiteout device for the kernel): a seed that deletes needs a snapshot. */
export function seedOverlay(seed: Seed | undefined): 'off' | undefined {
  return seed?.plan.ops.some((o) => o.type === 'delete') ? 'off' : undefined;
}

/** Writes the seed into the fresh volume (before any sandbox mounts it); returns the tree's digest afterwards. */
export async function applySeed(
  patches: Pick<PatchService, 'readBlob'>,
  workspace: string,
  vol: OutputVolume,
  seed: Seed,
  signal: AbortSignal,
): Promise<string> {
  const root = path.join(vol.dir, vol.kind === 'overlay' ? 'upper' : 'snapshot');
  if (seed.plan.ops.some((o) => o.type === 'delete') && vol.kind === 'overlay')
    throw new AirlockError(
      'TASK_SEED_DELETE',
      `patch set ${seed.setId} deletes files, which an overlay volume cannot show`,
      'a bug: a seed that deletes is given a snapshot volume (seedOverlay); report it with the kernel log',
    );
  writeAcceptedTree(root, workspace, seed.plan.ops, (hash) => readWholeBlob(patches, seed.setId, hash));
  return volumeDigest(vol, signal);
}

/**
 * What the volume holds beyond the workspace, as one hash: a turn whose volume still has its seed's digest changed
 * nothing, so it makes no patch set (a question answered in a follow-up must not re-propose the earlier turn's set).
 */
export async function volumeDigest(vol: OutputVolume, signal: AbortSignal): Promise<string> {
  const src = patchSource(vol);
  const scan = src.type === 'overlay' ? await scanUpper(src.upper, signal) : await scanSnapshot(src.dir, src.manifest, signal);
  const h = createHash('sha256');
  const lines = scan.changes.map((c) => {
    switch (c.type) {
      case 'write': {
        const st = fs.lstatSync(c.src);
        return `w\0${c.rel}\0${st.mode & 0o7777}\0${fileHash(c.src)}`;
      }
      case 'symlink':
        return `l\0${c.rel}\0${fs.readlinkSync(c.src)}`;
      case 'delete':
      case 'dir':
        return `${c.type}\0${c.rel}`;
      case 'opaque':
        return `o\0${c.rel}\0${[...c.keep].sort().join('\0')}`;
      case 'blocked':
        return `b\0${c.rel}\0${c.reason}`;
      default: {
        const never: never = c;
        throw new Error(`unknown change ${JSON.stringify(never)}`);
      }
    }
  });
  for (const l of lines.sort()) h.update(`${l}\n`);
  return h.digest('hex');
}

function fileHash(p: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}
