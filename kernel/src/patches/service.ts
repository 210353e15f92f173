// PatchService: generates, stores and serves patch sets, records decisions and merges (audited first); never writes the workspace.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { recordWithThenAct } from '../audit/record';
import type {
  AutoMergeCriteria,
  FilePatch,
  MergePlan,
  PatchSet,
  PatchSetSummary,
  ReviewDecision,
  ReviewState,
} from '../../../protocol/src/patches';
import type { HunkLinks, MergedHunk, Verification } from '../../../protocol/src/provenance';
import { automergeDecision, evaluateAutoMerge, type AutoMergeVerdict } from './automerge';
import { readCurrentFiles } from './current';
import { generatePatchSet } from './generate';
import { exportGit } from './git-export';
import { keepContents } from './keep';
import { fileDecision, planMerge } from './merge-plan';
import { landedHunks } from './landed';
import type { ProtectedCheck } from './paths';
import { scanSnapshot, scanUpper, type SnapshotManifest } from './scan';
import { type MergeRecord, PatchStore, type StoredSet } from './store';
import { acceptedTreeDigest } from './verify-tree';

export type PatchAuditEvent =
  | { action: 'review.generated'; setId: string; detail: { files: number; blocked: number; taskId?: string } }
  | { action: 'review.decide'; setId: string; detail: { items: ReviewDecision['items']; note?: string } }
  | {
      action: 'review.merged';
      setId: string;
      detail: {
        mergeId: string;
        outcome: MergeRecord['outcome'];
        paths: string[];
        treeDigest?: string;
        verification?: MergeVerification | null;
      };
    }
  | { action: 'review.verify'; setId: string; detail: Verification }
  | { action: 'review.automerge'; setId: string; detail: AutoMergeVerdict };
/** What a merge's audit entry says about verify-before-merge: the last run, and whether it was of the tree merged. */
export interface MergeVerification {
  outcome: Verification['outcome'];
  treeDigest: string;
  failing: string[];
  ofMergedTree: boolean;
}

/** The audit module's entry point for patch events (kernel/src/audit wires itself in here). */
export interface PatchAuditSink {
  record(e: PatchAuditEvent): void | Promise<void>;
}

export interface PatchServiceOptions {
  stateDir: string;
  /** The workspace as the kernel sees it (read-only mount): the base of every patch. */
  workspace: string;
  isProtected?: ProtectedCheck;
  audit?: PatchAuditSink;
  maxDiffBytes?: number;
  maxFiles?: number;
  /** Full-file content bytes one set keeps in the state volume (DEFAULT_KEEP_BYTES). */
  keepBytes?: number;
  /** Told about every new set and every allowed auto-merge (main.ts forwards it as the patches/ready event). */
  onReady?: (e: { setId: string; taskId?: string; files: number; blocked: number; autoMerge: boolean }) => void;
}

export type PatchSource = { type: 'overlay'; upper: string } | { type: 'snapshot'; dir: string; manifest: SnapshotManifest };

export const MAX_BLOB_CHUNK = 4 * 1024 * 1024;

export class PatchService {
  readonly store: PatchStore;

  constructor(private readonly o: PatchServiceOptions) {
    this.store = new PatchStore(o.stateDir);
  }

  async generate(
    src: PatchSource,
    meta: { taskId?: string; sandboxId?: string; testsPassed?: boolean | null; signal?: AbortSignal } = {},
  ): Promise<PatchSet> {
    const scan = src.type === 'overlay' ? await scanUpper(src.upper, meta.signal) : await scanSnapshot(src.dir, src.manifest, meta.signal);
    const generated = await generatePatchSet({
      workspace: this.o.workspace,
      scan,
      source: src.type,
      isProtected: this.o.isProtected,
      maxDiffBytes: this.o.maxDiffBytes,
      maxFiles: this.o.maxFiles,
      saveBaseText: (h, t) => this.store.putBlob(h, t),
      ...meta,
    });
    // The output dir does not outlive the task (a tmpfs, emptied by a kernel restart): full-file contents the set
    // serves later are kept in the state volume, so review and merge work after a restart.
    const sourceDir = this.store.contentsDir(generated.id);
    const set = await keepContents(generated, src.type === 'overlay' ? src.upper : src.dir, sourceDir, this.o.keepBytes, meta.signal).catch(
      (err) => {
        fs.rmSync(sourceDir, { recursive: true, force: true });
        throw err;
      },
    );
    // Recorded, then offered for review: a set the log cannot take is not kept (its copies go too).
    await this.recordThenAct(
      { action: 'review.generated', setId: set.id, detail: { files: set.files.length, blocked: set.blocked.length, taskId: set.taskId } },
      () => this.store.save({ set, review: {}, sourceDir, merges: [], done: [] }),
    ).catch((err) => {
      fs.rmSync(sourceDir, { recursive: true, force: true });
      throw err;
    });
    this.o.onReady?.({ setId: set.id, taskId: set.taskId, files: set.files.length, blocked: set.blocked.length, autoMerge: false });
    return set;
  }

  list(status?: PatchSet['status']): PatchSetSummary[] {
    const out: PatchSetSummary[] = [];
    for (const id of this.store.ids()) {
      const s = this.store.get(id);
      if (status && s.set.status !== status) continue;
      out.push(summarise(s));
    }
    return out;
  }

  show(id: string): StoredSet {
    return this.store.get(id);
  }

  async decide(d: ReviewDecision): Promise<ReviewState> {
    const s = this.store.get(d.setId);
    const byPath = new Map(s.set.files.map((f) => [f.path, f]));
    for (const it of d.items) {
      const f = byPath.get(it.path);
      if (!f) throw new AirlockError('PATCH_UNKNOWN_FILE', `${JSON.stringify(it.path)} is not in patch set ${d.setId}`);
      if (it.hunkId && !('hunks' in f && f.hunks.some((h) => h.id === it.hunkId)))
        throw new AirlockError('PATCH_UNKNOWN_HUNK', `${it.hunkId} is not a hunk of ${it.path}`);
    }
    for (const it of d.items) {
      const r = (s.review[it.path] ??= { hunks: {} });
      if (it.hunkId) r.hunks[it.hunkId] = it.decision;
      else {
        r.file = it.decision;
        r.hunks = {};
      } // a file-level decision overrides earlier hunk decisions
    }
    // Dropping the last conflicted hunk of a partly merged set settles it (merged); rejecting everything rejects it.
    if (s.set.status === 'pending') s.set.status = settledStatus(s.set, s.review, new Set(s.done));
    // Record, then act: the changed copy is saved only once its entry is durable.
    await this.recordThenAct({ action: 'review.decide', setId: d.setId, detail: { items: d.items, note: d.note } }, () =>
      this.store.save(s),
    );
    return s.review;
  }

  /** The merge of the recorded decisions (or `review`, to plan another subset) against the workspace as it is now. */
  async plan(id: string, signal?: AbortSignal, review?: ReviewState): Promise<MergePlan> {
    const s = this.store.get(id);
    const current = await readCurrentFiles(this.o.workspace, s.set, signal);
    return planMerge(
      s.set,
      review ?? s.review,
      (p) => current.get(p) ?? null,
      (h) => this.store.getBlob(h),
    );
  }

  /**
   * The plan handed to the host for a merge. Its digest and where each hunk lands are kept with the set, and the texts
   * before and after are kept as blobs, so the merge it reports is audited with them and blame can map lines later.
   */
  async planForMerge(id: string, signal?: AbortSignal): Promise<{ plan: MergePlan; treeDigest: string }> {
    const s = this.store.get(id);
    const current = await readCurrentFiles(this.o.workspace, s.set, signal);
    // What an earlier merge (or a conflict the person resolved in the merge editor) already put in is not planned again:
    // re-planning a resolved hunk against the person's result would report it conflicted a second time.
    const r = landedHunks(
      withoutDone(s.set, s.done),
      s.review,
      current,
      (h) => this.store.getBlob(h),
      (h, t) => this.store.putBlob(h, t),
    );
    s.lastPlan = { treeDigest: acceptedTreeDigest(r.plan), at: Date.now(), hunks: r.hunks };
    this.store.save(s);
    return { plan: r.plan, treeDigest: s.lastPlan.treeDigest };
  }

  /** Keeps a verify-before-merge result with its set, recorded first. */
  async recordVerification(v: Verification): Promise<void> {
    const s = this.store.get(v.setId);
    await this.recordThenAct({ action: 'review.verify', setId: v.setId, detail: v }, () => {
      s.verification = v;
      this.store.save(s);
    });
  }

  /** A chunk of full-file content by hash: the new content of a binary or renamed file, read from the sandbox output. */
  readBlob(id: string, hash: string, offset: number, length: number): Buffer {
    const s = this.store.get(id);
    const f = s.set.files.find((x) => (x.type === 'binary' && x.newHash === hash) || (x.type === 'rename' && x.baseHash === hash));
    if (!f) {
      // The base a text file's patch was made against: the host's three-way merge editor shows it as the common ancestor.
      const text = s.set.files.some((x) => (x.type === 'modify' || x.type === 'delete') && x.baseHash === hash)
        ? this.store.getBlob(hash)
        : undefined;
      if (text === undefined) throw new AirlockError('PATCH_BLOB_NOT_FOUND', `no content ${hash.slice(0, 12)}… in patch set ${id}`);
      return Buffer.from(text, 'utf8').subarray(offset, offset + Math.min(length, MAX_BLOB_CHUNK));
    }
    const fd = fs.openSync(path.join(s.sourceDir, f.path), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      const buf = Buffer.alloc(Math.min(length, MAX_BLOB_CHUNK));
      const n = fs.readSync(fd, buf, 0, buf.length, offset);
      return buf.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** `links`: what wrote each merged hunk (audit and transcript lookups the handler makes), recorded in the merge entry. */
  async merged(
    id: string,
    m: { mergeId: string; outcome: MergeRecord['outcome']; paths: string[]; completePaths?: string[]; appliedHunks?: string[] },
    links?: (hunks: MergedHunk[]) => Promise<Map<string, HunkLinks>>,
  ): Promise<PatchSet['status']> {
    const s = this.store.get(id);
    // The hunks this merge wrote: planned, reported applied by the host, in a file it reports written.
    const applied = new Set(m.appliedHunks ?? []);
    const written = new Set(m.paths);
    let hunks = m.outcome === 'merged' ? (s.lastPlan?.hunks ?? []).filter((h) => applied.has(h.hunkId) && written.has(h.path)) : [];
    if (hunks.length && links) {
      const l = await links(hunks);
      hunks = hunks.map((h) => (l.has(h.hunkId) ? { ...h, links: l.get(h.hunkId) } : h));
    }
    s.merges.push({ mergeId: m.mergeId, outcome: m.outcome, at: Date.now(), paths: m.paths });
    const done = new Set(s.done);
    if (m.outcome === 'merged') for (const p of [...(m.completePaths ?? []), ...(m.appliedHunks ?? [])]) done.add(p);
    if (m.outcome === 'undone') {
      done.clear();
    } // the undo reverts the last merge; earlier merges are re-evaluated on the next plan
    s.done = [...done];
    s.set.status = settledStatus(s.set, s.review, done);
    const treeDigest = s.lastPlan?.treeDigest;
    const v = s.verification;
    const verification = v
      ? { outcome: v.outcome, treeDigest: v.treeDigest, failing: v.failing, ofMergedTree: v.treeDigest === treeDigest }
      : null;
    await this.recordThenAct(
      {
        action: 'review.merged',
        setId: id,
        detail: { mergeId: m.mergeId, outcome: m.outcome, paths: m.paths, treeDigest, verification, ...(hunks.length ? { hunks } : {}) },
      },
      () => this.store.save(s),
    );
    return s.set.status;
  }

  exportGit(id: string): string {
    const s = this.store.get(id);
    return exportGit(s.set, { readNew: (f) => fs.readFileSync(path.join(s.sourceDir, f.path)) });
  }

  /** Evaluates auto-merge for a fresh set; when allowed, records an audited accept of every file (the host then applies it). */
  async autoMerge(id: string, criteria: AutoMergeCriteria, ctx: { mode: string; refusals?: string[] }): Promise<AutoMergeVerdict> {
    const s = this.store.get(id);
    const verdict = evaluateAutoMerge(s.set, criteria, ctx);
    await this.recordThenAct({ action: 'review.automerge', setId: id, detail: verdict }, () => {
      if (!verdict.allowed) return;
      s.review = automergeDecision(s.set);
      this.store.save(s);
      this.o.onReady?.({ setId: id, taskId: s.set.taskId, files: s.set.files.length, blocked: s.set.blocked.length, autoMerge: true });
    });
    return verdict;
  }

  /** Decisions, merges and auto-merges change what may reach the workspace: without a sink that records, none happen. */
  private recordThenAct(e: PatchAuditEvent, act: () => void): Promise<void> {
    const sink = this.o.audit;
    return recordWithThenAct(sink && (() => sink.record(e)), e.action, act);
  }
}

/** Merged once every file is merged or rejected (a modify hunk by hunk: accepted-but-conflicted keeps it pending). */
export function settledStatus(set: PatchSet, review: ReviewState, done: ReadonlySet<string>): PatchSet['status'] {
  const resolved = (f: FilePatch) =>
    done.has(f.path) ||
    rejected(review, f) ||
    (f.type === 'modify' && f.hunks.every((h) => done.has(h.id) || (review[f.path]?.hunks[h.id] ?? review[f.path]?.file) === 'reject'));
  return set.files.every(resolved) ? (set.files.every((f) => rejected(review, f)) ? 'rejected' : 'merged') : 'pending';
}

/** The set as still to merge: files and hunks already merged (`done`) left out. */
export function withoutDone(set: PatchSet, done: readonly string[]): PatchSet {
  if (!done.length) return set;
  const d = new Set(done);
  const files = set.files
    .filter((f) => !d.has(f.path))
    .map((f) => (f.type === 'modify' ? { ...f, hunks: f.hunks.filter((h) => !d.has(h.id)) } : f));
  return { ...set, files: files.filter((f) => f.type !== 'modify' || f.hunks.length > 0) };
}

/** Every part of the file patch is rejected. */
function rejected(review: ReviewState, f: FilePatch): boolean {
  if (f.type === 'modify') return f.hunks.every((h) => (review[f.path]?.hunks[h.id] ?? review[f.path]?.file) === 'reject');
  return fileDecision(review, f) === 'reject';
}

export function summarise(s: StoredSet): PatchSetSummary {
  let pendingHunks = 0;
  for (const f of s.set.files) {
    if (f.type === 'modify')
      pendingHunks += f.hunks.filter((h) => (s.review[f.path]?.hunks[h.id] ?? s.review[f.path]?.file) === undefined).length;
    else if (fileDecision(s.review, f) === undefined) pendingHunks++;
  }
  const { set } = s;
  return {
    id: set.id,
    taskId: set.taskId,
    createdAt: set.createdAt,
    status: set.status,
    source: set.source,
    files: set.stats.files,
    added: set.stats.added,
    removed: set.stats.removed,
    blocked: set.blocked.length,
    testsPassed: set.testsPassed,
    pendingHunks,
  };
}
