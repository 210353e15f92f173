// `airlock review` actions over a kernel client: list, show, decide, merge (host-side apply), undo and export.
import * as fs from 'node:fs';
import { AirlockError } from '../../../protocol/src/errors';
import { applyOps, type BlobSource } from '../../../core/src/apply/apply';
import { defaultJournalDir, listJournals, lockJournal, recoverMerges } from '../../../core/src/apply/apply-journal';
import { undoLastMerge } from '../../../core/src/apply/undo';
import type { Decision, FilePatch, ReviewItem } from '../../../protocol/src/patches';
import type { Verification } from '../../../protocol/src/provenance';
import type { IKernelClient } from '../../../protocol/src/rpc-client';
import type { CliIO } from '../command';

export interface ReviewCtx {
  client: IKernelClient;
  workspace: string;
  io: CliIO;
  journalDir?: string;
}

/** Names with control characters are shown JSON-quoted so a newline in a name cannot fake another line. */
export const showPath = (p: string) => (/[\x00-\x1f\x7f]/.test(p) ? JSON.stringify(p) : p);
const TYPE_LETTER: Record<FilePatch['type'], string> = { modify: 'M', add: 'A', delete: 'D', rename: 'R', mode: 'X', binary: 'B' };

export async function list(c: ReviewCtx, status?: 'pending' | 'merged' | 'rejected'): Promise<number> {
  const { sets } = await c.client.request('review/list', { status });
  if (!sets.length) c.io.out(status ? `no ${status} patch sets` : 'no patch sets');
  for (const s of sets) {
    const tests = s.testsPassed === null ? 'tests: not run' : s.testsPassed ? 'tests: passed' : 'tests: FAILED';
    c.io.out(
      `${s.id}  ${s.status.padEnd(8)} ${String(s.files).padStart(4)} files  +${s.added} -${s.removed}  ${s.pendingHunks} undecided  ${tests}${s.blocked ? `  ${s.blocked} blocked` : ''}${s.taskId ? `  task ${s.taskId}` : ''}`,
    );
  }
  return 0;
}

/** One line for a verify-before-merge result (review show, review verify), then the failing tests by name. */
export function verificationLines(v: Verification, current?: boolean): string[] {
  const what =
    v.outcome === 'passed'
      ? `PASSED (${v.passed} passed)`
      : v.outcome === 'failed'
        ? `FAILED (${v.failed} failed, ${v.passed} passed)`
        : `ERROR (${v.error?.code ?? 'unknown'}: ${v.error?.message ?? ''})`;
  const stale = current === false ? '  [stale: the accepted changes or the workspace changed since; verify again]' : '';
  return [
    `verified on accepted changes: ${what}  tree ${v.treeDigest.slice(0, 19)}…  ${v.hunks.length} hunk(s)  ${v.template}${stale}`,
    ...v.failing.map((n) => `  failing: ${n}`),
  ];
}

export async function verify(c: ReviewCtx, id: string, json: boolean): Promise<number> {
  const v = await c.client.request('review/verify', { id });
  if (json) c.io.out(JSON.stringify(v));
  else for (const l of verificationLines(v)) c.io.out(l);
  return v.outcome === 'passed' ? 0 : 1;
}

export async function show(c: ReviewCtx, id: string, diff: boolean): Promise<number> {
  const { set, review, verification, verificationCurrent } = await c.client.request('review/show', { id });
  c.io.out(`${set.id} (${set.status}, ${set.source}) ${set.stats.files} files +${set.stats.added} -${set.stats.removed}`);
  for (const w of set.warnings) c.io.out(`warning: ${w}`);
  for (const l of verification
    ? verificationLines(verification, verificationCurrent)
    : ['verified on accepted changes: not yet (`airlock review verify`)'])
    c.io.out(l);
  for (const f of set.files) {
    const d = review[f.path]?.file;
    const extra =
      f.type === 'rename'
        ? ` (from ${showPath(f.from)})`
        : f.type === 'mode'
          ? ` (${f.oldMode.toString(8)} -> ${f.newMode.toString(8)})`
          : f.type === 'binary'
            ? ` (full file, ${f.reason}, ${f.size} bytes)`
            : '';
    c.io.out(`${TYPE_LETTER[f.type]} ${showPath(f.path)}${extra}${d ? `  [${d}]` : ''}`);
    if (!diff || !('hunks' in f)) continue;
    for (const h of f.hunks) {
      const hd = review[f.path]?.hunks[h.id] ?? d;
      c.io.out(`  @@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@ ${h.id}${hd ? `  [${hd}]` : ''}`);
      for (const l of h.lines) c.io.out(`  ${l}`);
    }
  }
  for (const b of set.blocked) c.io.out(`blocked ${showPath(b.path)}: ${b.reason}`);
  return 0;
}

/** Accept/reject the whole set, some files, or some hunks (hunk ids are looked up to their file). */
export async function decide(c: ReviewCtx, id: string, decision: Decision, paths: string[], hunks: string[]): Promise<number> {
  const { set } = await c.client.request('review/show', { id });
  const items: ReviewItem[] = [];
  if (!paths.length && !hunks.length) for (const f of set.files) items.push({ path: f.path, decision });
  for (const p of paths) {
    if (!set.files.some((f) => f.path === p))
      throw new AirlockError('CLI_USAGE', `${showPath(p)} is not in ${id}`, `\`airlock review show ${id}\` lists its files`);
    items.push({ path: p, decision });
  }
  for (const h of hunks) {
    const f = set.files.find((x) => 'hunks' in x && x.hunks.some((y) => y.id === h));
    if (!f) throw new AirlockError('CLI_USAGE', `no hunk ${h} in ${id}`, `\`airlock review show ${id} --diff\` lists hunk ids`);
    items.push({ path: f.path, hunkId: h, decision });
  }
  const r = await c.client.request('review/decide', { setId: id, items });
  c.io.out(`${decision === 'accept' ? 'accepted' : 'rejected'} ${items.length} item(s) of ${id}; status ${r.status}`);
  return 0;
}

function blobSource(c: ReviewCtx, id: string): BlobSource {
  return {
    read: async (hash, offset, length, signal) => {
      const r = await c.client.request('review/blob', { id, hash, offset, length: Math.min(length, 4 * 1024 * 1024) }, { signal });
      return Buffer.from(r.data, 'base64');
    },
  };
}

/**
 * Finishes merges a killed CLI left half-written (the journal replays them, docs/recovery.md) and tells the kernel, which
 * never heard of them. Runs before a new plan: a plan made against a half-merged tree would refuse its own files.
 */
async function finishInterrupted(c: ReviewCtx, journalDir: string): Promise<void> {
  const unlock = lockJournal(journalDir);
  let replayed: string[];
  try {
    replayed = await recoverMerges(fs.realpathSync(c.workspace), journalDir);
  } finally {
    unlock();
  }
  for (const j of listJournals(journalDir).filter((x) => replayed.includes(x.mergeId))) {
    const outcome = j.undoOf ? 'undone' : 'merged';
    await c.client.request('review/merged', { id: j.setId, mergeId: j.undoOf ?? j.mergeId, outcome, paths: j.ops.map((o) => o.path) });
    c.io.out(`finished merge ${j.mergeId} of ${j.setId}, interrupted earlier: ${j.ops.length} file(s) ${outcome}`);
  }
}

export async function merge(c: ReviewCtx, id: string): Promise<number> {
  const journalDir = c.journalDir ?? defaultJournalDir(c.workspace, c.io.env);
  await finishInterrupted(c, journalDir);
  const plan = await c.client.request('review/plan', { id });
  for (const x of plan.conflicts) c.io.err(`conflict ${showPath(x.path)}${x.hunkId ? ` ${x.hunkId}` : ''}: ${x.reason}`);
  if (!plan.ops.length) {
    c.io.out(
      plan.completePaths.length ? 'nothing to write: the accepted changes are already in the workspace' : 'nothing accepted to merge',
    );
    if (plan.completePaths.length)
      await c.client.request('review/merged', {
        id,
        mergeId: 'none',
        outcome: 'merged',
        paths: [],
        completePaths: plan.completePaths,
        appliedHunks: plan.appliedHunks,
      });
    return plan.conflicts.length ? 1 : 0;
  }
  let res;
  try {
    res = await applyOps(plan.ops, { workspace: c.workspace, journalDir, setId: id, blobs: blobSource(c, id) });
  } catch (err) {
    await c.client.request('review/merged', { id, mergeId: 'failed', outcome: 'failed', paths: [] }).catch(() => undefined);
    throw err;
  }
  const { status } = await c.client.request('review/merged', {
    id,
    mergeId: res.mergeId,
    outcome: 'merged',
    paths: res.paths,
    completePaths: plan.completePaths,
    appliedHunks: plan.appliedHunks,
  });
  c.io.out(
    `merged ${res.paths.length} file(s) of ${id} as ${res.mergeId}${plan.merged3Way.length ? ` (three-way: ${plan.merged3Way.map(showPath).join(', ')})` : ''}; set is ${status}`,
  );
  if (plan.conflicts.length) c.io.out(`${plan.conflicts.length} conflicted change(s) were left out; your edits are untouched`);
  return plan.conflicts.length ? 1 : 0;
}

export async function undo(c: ReviewCtx): Promise<number> {
  const journalDir = c.journalDir ?? defaultJournalDir(c.workspace, c.io.env);
  await finishInterrupted(c, journalDir);
  const r = await undoLastMerge({ workspace: c.workspace, journalDir });
  await c.client.request('review/merged', { id: r.undid.setId, mergeId: r.undid.mergeId, outcome: 'undone', paths: r.paths });
  c.io.out(`undid merge ${r.undid.mergeId} of ${r.undid.setId}: restored ${r.paths.length} file(s)`);
  return 0;
}

export async function exportSet(c: ReviewCtx, id: string): Promise<string> {
  return (await c.client.request('review/export', { id, format: 'git' })).text;
}
