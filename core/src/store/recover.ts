// Recovery of a damaged store: keep the damaged file aside, restore the newest good snapshot, say exactly what was lost.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkStoreFile, lostWalFrames, type StoreProblem, type StoreSpec, tableCounts } from './check';
import { listSnapshots, type Snapshot } from './snapshots';

export interface StoreRecovery {
  store: string;
  file: string;
  problem: StoreProblem;
  message: string;
  /** Where the damaged file (and its -wal/-shm) was kept for inspection; null when the file itself was kept. */
  movedTo: string | null;
  /** The snapshot restored; null when none was good (the store starts empty) or the file was kept. */
  snapshot: { file: string; at: number } | null;
  /** What is gone, in words (never empty). */
  lost: string;
  at: number;
  /** Set once the kernel has recorded it in the audit log (a report the audit log could not take is recorded later). */
  recordedInAudit?: boolean;
  /** The report's own file in `damaged/`. */
  report?: string;
}

/** `<state>/damaged/`: damaged files and the report of each recovery, for inspection (`airlock state check` lists them). */
export function damagedDir(dbFile: string): string {
  return path.join(path.dirname(dbFile), 'damaged');
}

const SIDE = ['', '-wal', '-shm'];
const iso = (ms: number) => new Date(ms).toISOString();

export function moveAside(file: string, at: number, only?: string[]): string {
  const dir = damagedDir(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const base = path.join(dir, `${path.basename(file)}.${iso(at).replace(/[:.]/g, '-')}`);
  for (const s of only ?? SIDE) if (fs.existsSync(file + s)) fs.renameSync(file + s, base + s);
  return base;
}

/** Writes (or rewrites) a recovery's report in `damaged/`. */
export function writeReport(r: StoreRecovery): StoreRecovery {
  const dir = damagedDir(r.file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const report = r.report ?? path.join(dir, `${r.store}.${iso(r.at).replace(/[:.]/g, '-')}.json`);
  const out = { ...r, report };
  fs.writeFileSync(`${report}.tmp`, JSON.stringify(out, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(`${report}.tmp`, report);
  return out;
}

/** Every recovery report kept in `<stateDir>/damaged/`, oldest first. */
export function listReports(stateDir: string): StoreRecovery[] {
  const dir = path.join(stateDir, 'damaged');
  if (!fs.existsSync(dir)) return [];
  const out: StoreRecovery[] = [];
  for (const n of fs
    .readdirSync(dir)
    .filter((x) => x.endsWith('.json'))
    .sort()) {
    try {
      out.push({ ...(JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as StoreRecovery), report: path.join(dir, n) });
    } catch {
      /* not a report */
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

function removeStore(file: string): void {
  for (const s of SIDE) fs.rmSync(file + s, { force: true });
}

/** Copies each snapshot, newest first, into place until one passes the full check (its chain included). */
function restoreNewestGood(spec: StoreSpec): Snapshot | undefined {
  for (const snap of listSnapshots(spec.file)) {
    const tmp = `${spec.file}.restore`;
    fs.copyFileSync(snap.file, tmp);
    removeStore(spec.file);
    fs.renameSync(tmp, spec.file);
    if (checkStoreFile(spec).ok) return snap;
    removeStore(spec.file);
  }
  return undefined;
}

function countsLost(before: Record<string, number> | undefined, after: Record<string, number> | undefined): string {
  if (!before) return ' (the damaged file cannot be read to count what it held)';
  const diffs = Object.entries(before).map(([t, n]) => `${t} ${n} → ${after?.[t] ?? 0}`);
  return diffs.length ? ` (rows, damaged file → restored: ${diffs.join(', ')})` : '';
}

/**
 * Checks one store and repairs it when needed; undefined when it is sound. Never silent: the result says what was lost,
 * and a report is written beside the damaged file. A missing write-ahead log leaves a consistent but older main file:
 * whichever is newer, that file or the newest good snapshot, is kept.
 */
export function recoverStore(spec: StoreSpec, now = Date.now()): StoreRecovery | undefined {
  const r = checkStoreFile(spec);
  if (r.ok) return undefined;
  const rec = (o: Omit<StoreRecovery, 'store' | 'file' | 'problem' | 'message' | 'at'>): StoreRecovery => {
    return writeReport({ store: spec.name, file: spec.file, problem: r.problem, message: r.message, at: now, ...o });
  };
  if (r.problem === 'wal-lost') {
    const frames = lostWalFrames(spec.file);
    const checkpointAt = fs.statSync(spec.file).mtimeMs;
    const newest = listSnapshots(spec.file)[0];
    if (!newest || newest.at <= checkpointAt) {
      // The stale index goes aside; the main file is kept if it is sound on its own.
      const shm = moveAside(spec.file, now, ['-shm']);
      if (checkStoreFile(spec).ok) {
        return rec({
          movedTo: null,
          snapshot: null,
          lost:
            `${frames} page write(s) committed after ${iso(checkpointAt)} (the last checkpoint); the file as of then is kept` +
            ` (stale index kept at ${shm}-shm)`,
        });
      }
    }
  }
  const before = tableCounts(spec.file);
  const movedTo = moveAside(spec.file, now);
  const snap = restoreNewestGood(spec);
  if (!snap) {
    return rec({
      movedTo,
      snapshot: null,
      lost: `everything in the store: no good snapshot to restore, it starts empty${countsLost(before, {})}`,
    });
  }
  return rec({
    movedTo,
    snapshot: { file: snap.file, at: snap.at },
    lost: `every change after ${iso(snap.at)} (the snapshot restored)${countsLost(before, tableCounts(spec.file))}`,
  });
}
