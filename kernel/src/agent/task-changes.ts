// What a task has changed so far, read from its output volume: the changed paths and the lines it added (workflow evidence).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { changedPaths } from '../patches/walk';
import type { TaskVolume } from './task-volume';

/** Matches the protocol's cap on workflow evidence; more changed paths fail the walk (the evidence cannot be complete). */
const MAX_FILES = 10_000;

/** Workspace-relative paths the task added, modified or deleted (overlay: the upper dir; snapshot: compared), walked
 * on a worker thread. A tree with too many entries or changes throws PATCH_TOO_MANY_ENTRIES: a guard deciding on a
 * truncated list could miss an implementation file. */
export function changedFiles(tv: TaskVolume, workspace: string, signal?: AbortSignal): Promise<string[]> {
  return changedPaths(tv.vol.kind, tv.root, workspace, { maxResults: MAX_FILES, signal });
}

/** Lines of the changed files that the task added (a line-multiset difference against the workspace version). */
export async function addedLines(tv: TaskVolume, workspace: string, files: string[]): Promise<string[]> {
  const added: string[] = [];
  for (const f of files) {
    const now = await tv.read(f).catch(() => undefined);
    if (now === undefined) continue;
    let before = '';
    try {
      before = await fs.promises.readFile(path.join(workspace, f), 'utf8');
    } catch {
      /* new file */
    }
    const left = new Map<string, number>();
    for (const l of before.split('\n')) left.set(l, (left.get(l) ?? 0) + 1);
    for (const l of now.split('\n')) {
      const n = left.get(l) ?? 0;
      if (n > 0) left.set(l, n - 1);
      else added.push(l);
    }
  }
  return added;
}
