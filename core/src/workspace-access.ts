// Can the sandbox user read the workspace? Mode bits of the root and its top-level entries against the template's uid:gid.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SANDBOX_WORKSPACE_UNREADABLE = 'SANDBOX_WORKSPACE_UNREADABLE';

export interface AccessStat {
  mode: number;
  uid: number;
  gid: number;
  isDirectory: boolean;
}

/** Parses a template's `user` ("1000" or "1000:1000"; the gid defaults to the uid, as the shipped images have it). */
export function parseUser(user: string): { uid: number; gid: number } {
  const [u, g] = user.split(':');
  return { uid: Number(u), gid: Number(g ?? u) };
}

/** Read (and, for a directory, enter) permission by mode bits alone, as a process without capabilities gets it. */
export function mayRead(st: AccessStat, uid: number, gid: number): boolean {
  const need = st.isDirectory ? 0o5 : 0o4;
  const bits = st.uid === uid ? (st.mode >> 6) & 7 : st.gid === gid ? (st.mode >> 3) & 7 : st.mode & 7;
  return (bits & need) === need;
}

export interface WorkspaceAccess {
  /** The sandbox cannot list a read-only bind of the workspace (`airlock exec`, test runs): it would look empty. */
  rootReadable: boolean;
  root: AccessStat;
  /** Top-level entries the sandbox user cannot read (e.g. a 0600 `.env`: often on purpose), at most `limit`. */
  unreadable: string[];
}

export function workspaceAccess(root: string, user: string, limit = 10): WorkspaceAccess {
  const { uid, gid } = parseUser(user);
  const toStat = (s: fs.Stats): AccessStat => ({ mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, isDirectory: s.isDirectory() });
  const rootStat = toStat(fs.statSync(root));
  const unreadable: string[] = [];
  // Listed whatever the root's mode: a task's overlay gives /workspace its own root, but these entries as they are.
  for (const name of limit > 0 ? fs.readdirSync(root).sort() : []) {
    if (unreadable.length >= limit) break;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(root, name));
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) continue;
    if (!mayRead(toStat(st), uid, gid)) unreadable.push(name);
  }
  return { rootReadable: mayRead(rootStat, uid, gid), root: rootStat, unreadable };
}

/**
 * What to tell the model and the person with a task's first command when top-level entries are unreadable to the
 * sandbox user (commands fail on them with EACCES, or skip them); '' when everything is readable.
 */
export function accessNote(root: string, user: string): string {
  const a = workspaceAccess(root, user, 5);
  if (!a.unreadable.length) return '';
  return `the sandbox user ${user} cannot read ${a.unreadable.join(', ')} in the workspace (file modes); \`airlock doctor\` explains`;
}
