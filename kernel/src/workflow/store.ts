// SQLite persistence of workflow sessions and their hash-chained transitions, verified on every open.
import Database from 'better-sqlite3';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AirlockError } from '../../../protocol/src/errors';
import type { IDisposable } from '../../../protocol/src/lifecycle';
import type { Actor, TransitionRecord, WorkflowMode, WorkflowState } from '../../../protocol/src/workflow';
import type { SessionData } from './guards';
import { boundPageCache } from '../../../core/src/store/sqlite';

export const GENESIS_HASH = '0'.repeat(64);

export interface SessionRow {
  id: string;
  mode: WorkflowMode;
  state: WorkflowState;
  data: SessionData;
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface NewTransition {
  sessionId: string;
  kind: TransitionRecord['kind'];
  mode: WorkflowMode;
  from: WorkflowState | null;
  to: WorkflowState;
  actor: Actor;
  /** Always carries `data`: the session's data after this row, so the chain alone can rebuild every session. */
  detail: { data: SessionData } & Record<string, unknown>;
  at: number;
}

interface Raw {
  seq: number;
  session_id: string;
  kind: string;
  mode: string;
  from_state: string | null;
  to_state: string;
  actor: string;
  detail: string;
  at: number;
  prev_hash: string;
  hash: string;
}

export function rowHash(prevHash: string, seq: number, t: Omit<NewTransition, 'detail'> & { detailJson: string }): string {
  const body = JSON.stringify([seq, t.sessionId, t.kind, t.mode, t.from, t.to, t.actor, t.detailJson, t.at]);
  return crypto.createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/** Sessions kept in memory, most recently used; the rest are read from `wf_sessions` when asked for. */
export const SESSION_CACHE = 256;

interface SessionRaw {
  id: string;
  mode: string;
  state: string;
  data: string;
  version: number;
  created_at: number;
  updated_at: number;
}

const fromRaw = (r: SessionRaw): SessionRow => ({
  id: r.id,
  mode: r.mode as WorkflowMode,
  state: r.state as WorkflowState,
  data: JSON.parse(r.data) as SessionData,
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class WorkflowStore implements IDisposable {
  private readonly db: Database.Database;
  /** A bounded cache (insertion order = recency): one session per task ever run, all kept, grew the kernel per task. */
  private readonly sessions = new Map<string, SessionRow>();
  private head = { seq: 0, hash: GENESIS_HASH };

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    try {
      boundPageCache(this.db);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS wf_sessions (id TEXT PRIMARY KEY, mode TEXT NOT NULL, state TEXT NOT NULL, data TEXT NOT NULL,
          version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS wf_transitions (seq INTEGER PRIMARY KEY, session_id TEXT NOT NULL, kind TEXT NOT NULL, mode TEXT NOT NULL,
          from_state TEXT, to_state TEXT NOT NULL, actor TEXT NOT NULL, detail TEXT NOT NULL, at INTEGER NOT NULL,
          prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS wf_transitions_session ON wf_transitions(session_id, seq);`);
      this.load();
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /** Verifies the whole chain, rebuilds every session from it and checks the snapshot table agrees (fail closed). */
  private load(): void {
    const broken = (msg: string) =>
      new AirlockError(
        'WORKFLOW_CHAIN_BROKEN',
        `${this.file}: ${msg}`,
        'the workflow database was changed outside Airlock; restore a backup, or move the file aside to start with no sessions',
      );
    const rebuilt = new Map<string, SessionRow>();
    let prev = GENESIS_HASH;
    let last = 0;
    for (const r of this.db.prepare('SELECT * FROM wf_transitions ORDER BY seq').iterate() as IterableIterator<Raw>) {
      if (r.seq !== last + 1) throw broken(`transition ${last + 1} is missing`);
      if (r.prev_hash !== prev) throw broken(`transition ${r.seq} does not link to the one before it`);
      const hash = rowHash(prev, r.seq, {
        sessionId: r.session_id,
        kind: r.kind as NewTransition['kind'],
        mode: r.mode as WorkflowMode,
        from: r.from_state as WorkflowState | null,
        to: r.to_state as WorkflowState,
        actor: r.actor as Actor,
        detailJson: r.detail,
        at: r.at,
      });
      if (hash !== r.hash) throw broken(`transition ${r.seq} was modified (hash mismatch)`);
      const data = (JSON.parse(r.detail) as { data: SessionData }).data;
      const s = rebuilt.get(r.session_id);
      rebuilt.set(r.session_id, {
        id: r.session_id,
        mode: r.mode as WorkflowMode,
        state: r.to_state as WorkflowState,
        data,
        version: (s?.version ?? 0) + 1,
        createdAt: s?.createdAt ?? r.at,
        updatedAt: r.at,
      });
      prev = r.hash;
      last = r.seq;
    }
    this.head = { seq: last, hash: prev };
    const rows = this.db.prepare('SELECT * FROM wf_sessions').all() as Array<{
      id: string;
      mode: string;
      state: string;
      data: string;
      version: number;
    }>;
    if (rows.length !== rebuilt.size) throw broken(`${rows.length} sessions stored but the chain describes ${rebuilt.size}`);
    for (const row of rows) {
      const r = rebuilt.get(row.id);
      if (!r || r.mode !== row.mode || r.state !== row.state || r.version !== row.version || JSON.stringify(r.data) !== row.data) {
        throw broken(`session ${row.id} does not match its transitions`);
      }
    }
    for (const s of [...rebuilt.values()].sort((a, b) => a.updatedAt - b.updatedAt).slice(-SESSION_CACHE)) this.sessions.set(s.id, s);
  }

  get(id: string): SessionRow | undefined {
    const hit = this.sessions.get(id);
    if (hit) return this.remember(hit);
    const raw = this.db.prepare('SELECT * FROM wf_sessions WHERE id = ?').get(id) as SessionRaw | undefined;
    return raw && this.remember(fromRaw(raw));
  }

  /** Every session, oldest first (read from the table: only the most recent are kept in memory). */
  all(): SessionRow[] {
    return (this.db.prepare('SELECT * FROM wf_sessions ORDER BY created_at, id').all() as SessionRaw[]).map(
      (r) => this.sessions.get(r.id) ?? fromRaw(r),
    );
  }

  /** Sessions held in memory (bounded by SESSION_CACHE). */
  get cached(): number {
    return this.sessions.size;
  }

  private remember(s: SessionRow): SessionRow {
    this.sessions.delete(s.id);
    this.sessions.set(s.id, s);
    if (this.sessions.size > SESSION_CACHE) this.sessions.delete(this.sessions.keys().next().value as string);
    return s;
  }

  /** Appends one chained row and updates the session snapshot in the same transaction (both or neither survive a crash). */
  append(t: NewTransition): { record: TransitionRecord; session: SessionRow } {
    const prevSession = this.sessions.get(t.sessionId);
    const session: SessionRow = {
      id: t.sessionId,
      mode: t.mode,
      state: t.to,
      data: t.detail.data,
      version: (prevSession?.version ?? 0) + 1,
      createdAt: prevSession?.createdAt ?? t.at,
      updatedAt: t.at,
    };
    const detailJson = JSON.stringify(t.detail);
    const seq = this.head.seq + 1;
    const hash = rowHash(this.head.hash, seq, { ...t, detailJson });
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO wf_transitions (seq, session_id, kind, mode, from_state, to_state, actor, detail, at, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
        )
        .run(seq, t.sessionId, t.kind, t.mode, t.from, t.to, t.actor, detailJson, t.at, this.head.hash, hash);
      this.db
        .prepare(
          `INSERT INTO wf_sessions (id, mode, state, data, version, created_at, updated_at) VALUES (?,?,?,?,?,?,?)
        ON CONFLICT(id) DO UPDATE SET mode = excluded.mode, state = excluded.state, data = excluded.data, version = excluded.version, updated_at = excluded.updated_at`,
        )
        .run(session.id, session.mode, session.state, JSON.stringify(session.data), session.version, session.createdAt, session.updatedAt);
    })();
    this.head = { seq, hash };
    this.remember(session);
    return {
      record: {
        seq,
        sessionId: t.sessionId,
        kind: t.kind,
        mode: t.mode,
        from: t.from,
        to: t.to,
        actor: t.actor,
        detail: t.detail,
        at: t.at,
        hash,
      },
      session,
    };
  }

  /** Newest last; `limit` rows at most. */
  history(sessionId: string | undefined, limit: number): TransitionRecord[] {
    const rows = (
      sessionId
        ? this.db.prepare('SELECT * FROM wf_transitions WHERE session_id = ? ORDER BY seq DESC LIMIT ?').all(sessionId, limit)
        : this.db.prepare('SELECT * FROM wf_transitions ORDER BY seq DESC LIMIT ?').all(limit)
    ) as Raw[];
    return rows.reverse().map((r) => ({
      seq: r.seq,
      sessionId: r.session_id,
      kind: r.kind as TransitionRecord['kind'],
      mode: r.mode as WorkflowMode,
      from: r.from_state as WorkflowState | null,
      to: r.to_state as WorkflowState,
      actor: r.actor as Actor,
      detail: JSON.parse(r.detail) as TransitionRecord['detail'],
      at: r.at,
      hash: r.hash,
    }));
  }

  dispose(): void {
    if (this.db.open) this.db.close();
  }
}
