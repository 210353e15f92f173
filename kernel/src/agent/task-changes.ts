// What a task has changed so far, read from its output volume: the changed paths and the lines it added (workflow evidence).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TaskVolume } from './task-volume';

const MAX_FILES = 10_000;

/** Workspace-relative paths the task added, modified or deleted (overlay: the upper dir; snapshot: compared). */
export function changedFiles(tv: TaskVolume, workspace: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string, visit: (abs: string, rel: string, st: fs.Stats) => boolean) => {
    let names: string[];
    try { names = fs.readdirSync(dir); } catch { return; }
    for (const name of names.sort()) {
      if (out.length >= MAX_FILES) return;
      const abs = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      let st: fs.Stats;
      try { st = fs.lstatSync(abs); } catch { continue; }
      if (st.isDirectory()) { if (visit(abs, r, st)) walk(abs, r, visit); } else visit(abs, r, st);
    }
  };
  if (tv.vol.kind === 'overlay') {
    // The upper dir holds the changes: files, symlinks, whiteouts (deletions); directories are walked. A file copied
    // up with the workspace's content (e.g. restored with `git checkout`) is no change.
    walk(tv.root, '', (abs, r, st) => {
      if (st.isDirectory()) return true;
      if (st.isFile() && sameAsWorkspace(abs, path.join(workspace, r), st)) return false;
      out.push(r);
      return false;
    });
    return out;
  }
  walk(tv.root, '', (abs, r, st) => {
    if (st.isDirectory()) return r !== '.git';
    try { if (!fs.readFileSync(abs).equals(fs.readFileSync(path.join(workspace, r)))) out.push(r); } catch { out.push(r); }
    return false;
  });
  walk(workspace, '', (_abs, r, st) => {
    if (st.isDirectory()) return r !== '.git';
    if (!fs.existsSync(path.join(tv.root, r))) out.push(r);
    return false;
  });
  return [...new Set(out)].sort();
}

function sameAsWorkspace(abs: string, ws: string, st: fs.Stats): boolean {
  try {
    const w = fs.statSync(ws);
    return w.isFile() && w.size === st.size && (w.mode & 0o7777) === (st.mode & 0o7777) && fs.readFileSync(abs).equals(fs.readFileSync(ws));
  } catch { return false; }
}

/** Lines of the changed files that the task added (a line-multiset difference against the workspace version). */
export async function addedLines(tv: TaskVolume, workspace: string, files: string[]): Promise<string[]> {
  const added: string[] = [];
  for (const f of files) {
    const now = await tv.read(f).catch(() => undefined);
    if (now === undefined) continue;
    let before = '';
    try { before = fs.readFileSync(path.join(workspace, f), 'utf8'); } catch { /* new file */ }
    const left = new Map<string, number>();
    for (const l of before.split('\n')) left.set(l, (left.get(l) ?? 0) + 1);
    for (const l of now.split('\n')) {
      const n = left.get(l) ?? 0;
      if (n > 0) left.set(l, n - 1); else added.push(l);
    }
  }
  return added;
}
