// Each workspace's state folder records the workspace it belongs to, so `airlock gc` can tell when that folder is gone.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const WORKSPACE_RECORD = 'workspace.json';
export const STATE_FOLDER = /^ws-([0-9a-f]{12})$/;

export interface WorkspaceRecord {
  path: string;
  recordedAt: number;
}

/** The state folder's name is `ws-<first 12 hex of sha256(workspace path)>` (core/src/config/bootstrap.ts statePaths). */
export function stateFolderId(workspace: string): string {
  return crypto.createHash('sha256').update(workspace).digest('hex').slice(0, 12);
}

/** Written at each start when missing or different; a failure to write only costs gc its knowledge of this folder. */
export function recordWorkspace(root: string, workspace: string, now = Date.now()): void {
  const file = path.join(root, WORKSPACE_RECORD);
  try {
    if (readWorkspaceRecord(root)?.path === workspace) return;
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ path: workspace, recordedAt: now } satisfies WorkspaceRecord) + '\n', { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  } catch {
    /* gc keeps folders it knows nothing about */
  }
}

/** undefined when absent or unreadable, or when it names a workspace whose folder id is not this folder's (never trusted). */
export function readWorkspaceRecord(root: string): WorkspaceRecord | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(root, WORKSPACE_RECORD), 'utf8')) as Partial<WorkspaceRecord>;
    if (typeof r.path !== 'string' || !path.isAbsolute(r.path)) return undefined;
    const m = STATE_FOLDER.exec(path.basename(root));
    if (!m || m[1] !== stateFolderId(r.path)) return undefined;
    return { path: r.path, recordedAt: Number(r.recordedAt) || 0 };
  } catch {
    return undefined;
  }
}

/** Bytes used by a folder (files only, symlinks not followed). */
export function folderBytes(dir: string): number {
  let n = 0;
  const walk = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const e of safeList(p)) walk(path.join(p, e));
    } else if (st.isFile()) n += st.size;
  };
  walk(dir);
  return n;
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
