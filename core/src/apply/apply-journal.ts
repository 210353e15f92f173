// Host-side merge journal: one directory per merge with backups and a state file, so a killed merge can be finished or undone.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import { currentHash } from './file-hash';

export type JournalState = 'prepared' | 'committing' | 'done' | 'undone';

export interface JournalOp {
  path: string;
  kind: 'write' | 'delete' | 'chmod';
  /** Temp file next to the target (workspace-relative), renamed over it on commit. */
  tmp?: string;
  /** Copy or hard link of the previous file inside the merge dir; `linkTarget` for a deleted symlink. */
  backup?: string;
  linkTarget?: string;
  before: string | null;
  after: string | null;
  beforeMode?: number;
}

export interface MergeJournal {
  mergeId: string;
  setId: string;
  createdAt: number;
  state: JournalState;
  /** Set on an undo: the merge it reverts. */
  undoOf?: string;
  ops: JournalOp[];
  createdDirs: string[];
}

export function newMergeId(): string {
  return `m_${Date.now().toString(36).padStart(9, '0')}_${crypto.randomBytes(4).toString('hex')}`;
}

export const journalFile = (journalDir: string, id: string) => path.join(journalDir, id, 'journal.json');

/** Atomic, durable journal update: write a temp file, fsync, rename. */
export function writeJournal(journalDir: string, j: MergeJournal): void {
  const file = journalFile(journalDir, j.mergeId);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(j));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function listJournals(journalDir: string): MergeJournal[] {
  if (!fs.existsSync(journalDir)) return [];
  const out: MergeJournal[] = [];
  for (const name of fs.readdirSync(journalDir).sort()) {
    if (!name.startsWith('m_')) continue;
    try {
      out.push(JSON.parse(fs.readFileSync(journalFile(journalDir, name), 'utf8')) as MergeJournal);
    } catch {
      // A merge dir without a journal never started writing: nothing of it is in the workspace.
      fs.rmSync(path.join(journalDir, name), { recursive: true, force: true });
    }
  }
  return out;
}

function removeTemps(workspace: string, j: MergeJournal): void {
  for (const op of j.ops) if (op.tmp) fs.rmSync(path.join(workspace, op.tmp), { force: true });
  for (const d of [...j.createdDirs].reverse()) {
    try {
      fs.rmdirSync(path.join(workspace, d));
    } catch {
      /* not empty or gone: leave it */
    }
  }
}

/**
 * Brings every unfinished merge to a clean state: a merge that never reached `committing` is discarded (the
 * workspace was never touched), one that did is replayed: each target is either already the new file or still the
 * old one (renames are atomic), and the temp file finishes it. Returns the ids it replayed.
 */
export async function recoverMerges(workspace: string, journalDir: string): Promise<string[]> {
  const replayed: string[] = [];
  for (const j of listJournals(journalDir)) {
    if (j.state === 'prepared') {
      removeTemps(workspace, j);
      fs.rmSync(path.join(journalDir, j.mergeId), { recursive: true, force: true });
      continue;
    }
    if (j.state !== 'committing') continue;
    for (const op of j.ops) {
      const abs = path.join(workspace, op.path);
      const now = await currentHash(abs);
      // A temp file still present has not been renamed yet (rename moves it); a missing one was committed.
      const pending = op.kind === 'delete' ? now !== null : fs.existsSync(path.join(workspace, op.tmp!));
      const expected = pending ? op.before : op.after;
      if (now !== expected) {
        throw new AirlockError(
          'PATCH_RECOVERY_CONFLICT',
          `cannot finish merge ${j.mergeId}: ${op.path} changed since it was interrupted`,
          `the journal is kept in ${path.join(journalDir, j.mergeId)}; restore the file or remove that directory`,
        );
      }
      if (!pending) continue;
      if (op.kind === 'delete') fs.rmSync(abs, { force: true });
      else fs.renameSync(path.join(workspace, op.tmp!), abs);
    }
    removeTemps(workspace, j);
    j.state = 'done';
    writeJournal(journalDir, j);
    replayed.push(j.mergeId);
  }
  return replayed;
}

/** A simple cross-process lock (O_EXCL file holding our pid); a lock of a dead process is taken over. */
export function lockJournal(journalDir: string): () => void {
  fs.mkdirSync(journalDir, { recursive: true, mode: 0o700 });
  const file = path.join(journalDir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(file, 'utf8'));
      if (pid && pid !== process.pid && alive(pid)) {
        throw new AirlockError('PATCH_MERGE_BUSY', `another merge (pid ${pid}) is running in this workspace`, 'wait for it to finish');
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new AirlockError('PATCH_MERGE_BUSY', 'could not take the merge lock', `remove ${file} if no merge is running`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Where the host keeps a workspace's merge journals: under XDG state, keyed by the workspace's real path. */
export function defaultJournalDir(workspace: string, env: NodeJS.ProcessEnv = process.env): string {
  const root =
    env.AIRLOCK_MERGE_JOURNAL_DIR ?? path.join(env.XDG_STATE_HOME ?? path.join(env.HOME ?? '/tmp', '.local', 'state'), 'airlock', 'merges');
  const id = crypto.createHash('sha256').update(fs.realpathSync(workspace)).digest('hex').slice(0, 16);
  return path.join(root, id);
}
