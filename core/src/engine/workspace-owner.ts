// Whose workspace this is: the user the kernel and its sandboxes run as, and the state folder handed to them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Paths } from '../config/bootstrap';

/** Who the kernel and its sandboxes run as: the person, or when root starts Airlock on someone else's folder, that
 * folder's owner — so sandboxes read what the owner reads and write into output volumes that are theirs. */
export function workspaceUser(workspace: string): { uid: number; gid: number } {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  if (uid !== 0) return { uid, gid };
  const st = fs.statSync(workspace);
  return { uid: st.uid, gid: st.gid };
}

/** Root starting a kernel for another user's folder: the state the kernel (that user) writes must be theirs. */
export function ownStateBy(paths: Paths, user: string): void {
  const [uid, gid] = user.split(':').map(Number);
  if ((process.getuid?.() ?? 0) !== 0 || uid === 0) return;
  if (fs.statSync(paths.root).uid === uid) return; // handed over before (each start would otherwise walk the state)
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.uid !== uid || st.gid !== gid) fs.lchownSync(p, uid, gid);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
  };
  walk(paths.root);
}
