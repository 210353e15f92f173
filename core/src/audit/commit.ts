// Writes batches of audit rows in one transaction with the signed head around it; runs inline or in the writer thread.
import type { Database as Db, Statement } from 'better-sqlite3';
import { HeadWriter } from './head';
import type { ChainPoint } from './head';
import { dbHeadMac } from './verify';

/** Columns per row, in table order. */
export const COLS = 12;
/** Field terminator of the batch text: no stored field ever holds a NUL (canonical.ts `wellFormed`). */
export const SEP = '\0';
/** Rows per INSERT statement: n rows run one statement per set bit of n (100 = 64 + 32 + 4). */
const CHUNKS = [64, 32, 16, 8, 4, 2, 1] as const;

export interface CommitBatch {
  /**
   * COLS fields per row, each followed by SEP, seq ascending, continuing the chain without a gap; hashes as hex, an
   * absent payload as ''. One string crosses to the writer thread far cheaper than an array of 12 values per row.
   */
  text: string;
  /** The chain point after the last row. */
  target: ChainPoint;
  /** synchronous=FULL for this commit (one fsync): it carries an entry someone awaits. */
  durable: boolean;
}

export interface CommitterInit {
  db: Db;
  key: Buffer;
  logId: string;
  headPath: string;
  /** The signed head's counter as last written (the writer alternates slots by it). */
  headCounter: number;
  /** What the database holds now. */
  committed: ChainPoint;
}

/**
 * Owns the write side of the log: INSERTs, the per-session spans, the head signed into the database and the head file.
 * A failed batch is kept and written again, in order, in front of the next one: the chain in memory already includes it.
 */
export class Committer {
  private readonly inserts: Statement[];
  private readonly writeRows: (rows: unknown[], target: ChainPoint) => void;
  private readonly head: HeadWriter;
  private committedPoint: ChainPoint;
  private failed: unknown[] = [];

  constructor(private readonly init: CommitterInit) {
    const db = init.db;
    // Checkpoints fsync the database file; every 40 MB of WAL instead of every 4 MB keeps appends cheap.
    db.pragma('wal_autocheckpoint = 10000');
    const vals = Array(COLS).fill('?').join(',');
    this.inserts = CHUNKS.map((n) => db.prepare(`INSERT INTO entries VALUES ${Array(n).fill(`(${vals})`).join(',')}`));
    const setDbHead = db.prepare(
      `INSERT INTO meta (key, value) VALUES ('db_head', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
    );
    const upsertSession = db.prepare(
      `INSERT INTO sessions VALUES (?, ?, ?) ON CONFLICT(session) DO UPDATE SET last_seq = excluded.last_seq`,
    );
    this.writeRows = db.transaction((rows: unknown[], target: ChainPoint) => {
      for (let off = 0, c = 0; off < rows.length; c++) {
        const n = CHUNKS[c] * COLS;
        for (; rows.length - off >= n; off += n) this.inserts[c].run(off === 0 && n === rows.length ? rows : rows.slice(off, off + n));
      }
      const spans = new Map<string, [number, number]>();
      for (let i = 0; i < rows.length; i += COLS) {
        const s = rows[i + 2] as string;
        if (!s) continue;
        const span = spans.get(s);
        if (span) span[1] = rows[i] as number;
        else spans.set(s, [rows[i] as number, rows[i] as number]);
      }
      for (const [s, [lo, hi]] of spans) upsertSession.run(s, lo, hi);
      setDbHead.run(JSON.stringify({ ...target, mac: dbHeadMac(init.key, init.logId, target) }));
    });
    this.head = new HeadWriter(init.headPath, init.key, { counter: init.headCounter });
    this.committedPoint = init.committed;
  }

  get committed(): ChainPoint {
    return this.committedPoint;
  }
  /** Entries written by a failed commit and not yet retried. */
  get backlog(): number {
    return this.failed.length / COLS;
  }

  /** Writes the backlog and `batch` in one transaction; throws (keeping both for the next call) when it cannot. */
  commit(batch: CommitBatch): void {
    const fresh = decodeRows(batch.text);
    const rows = this.failed.length ? this.failed.concat(fresh) : fresh;
    const db = this.init.db;
    try {
      // Pending first: a crash after the commit but before the final head write still verifies. No fsync: the signed
      // copy committed with the entries (meta db_head) covers power loss, so a durable append costs one fsync.
      this.head.write({ logId: this.init.logId, committed: this.committedPoint, pending: batch.target }, false);
      if (batch.durable) db.pragma('synchronous = FULL');
      try {
        this.writeRows(rows, batch.target);
      } finally {
        if (batch.durable) db.pragma('synchronous = NORMAL');
      }
    } catch (e) {
      this.failed = rows;
      throw e;
    }
    this.failed = [];
    this.committedPoint = batch.target;
    this.head.write({ logId: this.init.logId, committed: batch.target, pending: null }, false);
  }

  dispose(): void {
    this.head.dispose();
  }
}

/** Batch text to bindable column values: integers as numbers, hashes as 32-byte blobs, '' payload as NULL. */
export function decodeRows(text: string): unknown[] {
  const f: unknown[] = text.split(SEP);
  f.length--; // the last field's terminator
  if (f.length % COLS !== 0) throw new Error(`malformed audit batch (${f.length} fields)`);
  for (let i = 0; i < f.length; i += COLS) {
    f[i] = Number(f[i]);
    f[i + 1] = Number(f[i + 1]);
    f[i + 8] = Buffer.from(f[i + 8] as string, 'hex');
    if (f[i + 9] === '') f[i + 9] = null;
    f[i + 10] = Buffer.from(f[i + 10] as string, 'hex');
    f[i + 11] = Buffer.from(f[i + 11] as string, 'hex');
  }
  return f;
}
