// Which installations (checkouts, extension versions) still exist on this machine, and which images each one uses, so
// gc can collect what a deleted one left behind without removing an image that a living one shares.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import {
  type Assets,
  INSTALLATION_LABEL,
  INSTALLATION_ROOT_LABEL,
  INSTALLATION_UID_LABEL,
  installationIdOf,
  installationRoot,
} from '../../../protocol/src/node/assets';

/** `<state base>/installations/<id>.json`: one per installation that started a kernel with this state base. */
export const INSTALLATIONS_FOLDER = 'installations';
const RECORD_MAX_BYTES = 64 * 1024;

export const InstallationRecord = z.object({
  root: z.string().min(1).max(4096),
  uid: z.number().int().nonnegative(),
  /** The images it uses now (the kernel image it starts; sandboxes pick the newest of each recipe, kept on their own). */
  images: z.array(z.string().min(1).max(512)).max(16),
  recordedAt: z.number(),
});
export type InstallationRecord = z.infer<typeof InstallationRecord>;

export interface Installation {
  id: string;
  root: string;
  uid: number;
}

/** An image's (or its container's) installation, only when its labels name the folder and uid and these hash to its id. */
export function installationOf(labels: Record<string, string> | undefined): Installation | undefined {
  const root = labels?.[INSTALLATION_ROOT_LABEL];
  const uid = Number(labels?.[INSTALLATION_UID_LABEL]);
  const id = labels?.[INSTALLATION_LABEL];
  if (!root || !id || !Number.isInteger(uid) || uid < 0 || !path.isAbsolute(root)) return undefined;
  return installationIdOf(root, uid) === id ? { id, root, uid } : undefined;
}

/** Whether a folder exists: 'unknown' when it cannot be told (no permission), which gc treats as existing. */
export function presence(p: string): 'exists' | 'gone' | 'unknown' {
  try {
    fs.statSync(p);
    return 'exists';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'gone' : 'unknown';
  }
}

/** Written at each start when it changed; a failure only costs gc the knowledge that this installation uses `images`. */
export function recordInstallation(stateBase: string, images: string[], a?: Assets, uid = process.getuid?.() ?? 0, now = Date.now()): void {
  const root = installationRoot(a);
  const file = path.join(stateBase, INSTALLATIONS_FOLDER, `${installationIdOf(root, uid)}.json`);
  try {
    const old = readRecord(file);
    if (old && old.root === root && old.uid === uid && JSON.stringify(old.images) === JSON.stringify(images)) return;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const rec: InstallationRecord = { root, uid, images, recordedAt: now };
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(rec) + '\n', { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  } catch {
    /* gc then keeps only what is in use or the newest of its kind */
  }
}

function readRecord(file: string): InstallationRecord | undefined {
  try {
    if (fs.statSync(file).size > RECORD_MAX_BYTES) return undefined;
    const r = InstallationRecord.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

export interface RecordedInstallation extends InstallationRecord {
  file: string;
  state: 'exists' | 'gone' | 'unknown';
}

/** Every record in the state base whose name is the id of the folder and uid it names (others are not trusted). */
export function readInstallations(stateBase: string): RecordedInstallation[] {
  const dir = path.join(stateBase, INSTALLATIONS_FOLDER);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: RecordedInstallation[] = [];
  for (const n of names) {
    const m = /^([0-9a-f]{16})\.json$/.exec(n);
    const rec = m && readRecord(path.join(dir, n));
    if (!rec || installationIdOf(rec.root, rec.uid) !== m![1]) continue;
    out.push({ ...rec, file: path.join(dir, n), state: presence(rec.root) });
  }
  return out;
}

/** Whether an image is one of `refs` (a record names it by the tag the start used, or by id). */
export function imageMatches(img: { Id: string; RepoTags?: string[] | null }, refs: Iterable<string>): boolean {
  const bare = (t: string) => t.replace(/^(localhost|docker\.io)\//, '');
  const tags = new Set((img.RepoTags ?? []).map(bare));
  for (const r of refs) if (r === img.Id || tags.has(bare(r))) return true;
  return false;
}
