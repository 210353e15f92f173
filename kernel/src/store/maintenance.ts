// Store upkeep while the kernel runs: hourly snapshots of changed stores, and WAL checkpoints when no task is busy.
import * as fs from 'node:fs';
import Database from 'better-sqlite3';
import { Disposable, toDisposable } from '../../../protocol/src/lifecycle';
import { formatError } from '../../../protocol/src/errors';
import type { StoreSpec } from '../../../core/src/store/check';
import { listSnapshots, takeSnapshot } from '../../../core/src/store/snapshots';

export const SNAPSHOT_EVERY_MS = 3_600_000;
const TICK_MS = 60_000;

export interface MaintenanceOptions {
  /** A task is queued or running: checkpoints wait (TRUNCATE needs a moment without writers). */
  busy(): boolean;
  log?(line: string): void;
  snapshotEveryMs?: number;
  tickMs?: number;
  now?(): number;
}

/** Truncates the WAL through its own connection; SQLite refuses (busy) rather than block a writer. */
export function checkpointTruncate(file: string): { busy: boolean; walBytes: number } {
  if (!fs.existsSync(file)) return { busy: false, walBytes: 0 };
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 100');
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    const wal = `${file}-wal`;
    return { busy: r.busy !== 0, walBytes: fs.existsSync(wal) ? fs.statSync(wal).size : 0 };
  } finally {
    db.close();
  }
}

/** Changed since its newest snapshot (the main file or its WAL written later), or never snapshotted. */
function changedSince(file: string, at: number | undefined): boolean {
  if (at === undefined) return true;
  const m = (f: string) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0);
  return Math.max(m(file), m(`${file}-wal`)) > at;
}

export class StoreMaintenance extends Disposable {
  private running?: Promise<void>;

  constructor(
    private readonly specs: StoreSpec[],
    private readonly o: MaintenanceOptions,
  ) {
    super();
    const first = setTimeout(() => void this.tick(), 5_000);
    const every = setInterval(() => void this.tick(), o.tickMs ?? TICK_MS);
    first.unref();
    every.unref();
    this._register(
      toDisposable(() => {
        clearTimeout(first);
        clearInterval(every);
      }),
    );
  }

  /** One pass; overlapping calls share it. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const now = this.o.now?.() ?? Date.now();
    for (const s of this.specs) {
      if (this._store.isDisposed || !fs.existsSync(s.file)) continue;
      try {
        const newest = listSnapshots(s.file)[0]?.at;
        if ((newest === undefined || now - newest >= (this.o.snapshotEveryMs ?? SNAPSHOT_EVERY_MS)) && changedSince(s.file, newest)) {
          await takeSnapshot(s.file, 'periodic', { now });
        }
        if (!this.o.busy()) checkpointTruncate(s.file);
      } catch (e) {
        this.o.log?.(`store ${s.name}: upkeep failed: ${formatError(e)}`);
      }
    }
  }
}
