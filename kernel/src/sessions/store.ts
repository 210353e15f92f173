// Task sessions on disk: each task's prompt, provider, transcript (task events), cost and patch set, in sessions.db.
import * as path from 'node:path';
import type { TaskEvent } from '../../../protocol/src/agent';
import { Disposable, toDisposable } from '../../../protocol/src/lifecycle';
import type { SessionSummary, StoredEvent } from '../../../protocol/src/methods/sessions';
import { type Db, type Migration, openDatabase } from '../../../core/src/store/sqlite';
import type { EventBus } from '../event-bus';

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`CREATE TABLE sessions (
      task_id TEXT PRIMARY KEY, prompt TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL, mode TEXT,
      created_at INTEGER NOT NULL, finished_at INTEGER, status TEXT, message TEXT,
      total_tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0, patch_set_id TEXT, continues TEXT,
      events INTEGER NOT NULL DEFAULT 0) STRICT`);
      db.exec(`CREATE TABLE events (task_id TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, json TEXT NOT NULL,
      PRIMARY KEY (task_id, seq)) STRICT`);
    },
  },
];

/** What the start-up store check expects of sessions.db (kernel/src/store/stores.ts). */
export const SESSIONS_DB = 'sessions.db';
export const SESSIONS_SCHEMA = { version: MIGRATIONS.length, tables: ['sessions', 'events'] } as const;

/** A task's transcript is capped (a runaway task must not fill the state volume); the cap is recorded as a last event. */
export const MAX_EVENTS_PER_SESSION = 20_000;
const MAX_TEXT_RUN = 1 << 20;
export const INTERRUPTED_MESSAGE =
  'interrupted: the kernel stopped before the task finished (a crash, a kill or a container engine restart); ' +
  'it was not resumed and nothing of it was merged';
const INTERRUPTED_HINT =
  'start it again (`airlock sessions resume TASK "<follow-up>"` carries its conversation); a patch set it produced is still in review';

export interface SessionStart {
  taskId: string;
  prompt: string;
  provider: string;
  model: string;
  mode?: string;
  continues?: string;
}

interface Row {
  task_id: string;
  prompt: string;
  provider: string;
  model: string;
  mode: string | null;
  created_at: number;
  finished_at: number | null;
  status: string | null;
  message: string | null;
  total_tokens: number;
  cost_usd: number;
  patch_set_id: string | null;
  continues: string | null;
  events: number;
}

function summary(r: Row): SessionSummary {
  return {
    taskId: r.task_id,
    prompt: r.prompt,
    provider: r.provider as SessionSummary['provider'],
    model: r.model,
    mode: r.mode as SessionSummary['mode'],
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    status: r.status as SessionSummary['status'],
    message: r.message,
    totalTokens: r.total_tokens,
    costUsd: r.cost_usd,
    patchSetId: r.patch_set_id,
    continues: r.continues,
    events: r.events,
  };
}

export class SessionStore extends Disposable {
  private readonly db: Db;
  /** Text deltas of the current run are merged into one stored event, written when anything else arrives. */
  private readonly pendingText = new Map<string, { seq: number; at: number; text: string }>();

  constructor(
    stateDir: string,
    events: Pick<EventBus, 'onEvent'>,
    private readonly now = () => Date.now(),
  ) {
    super();
    this.db = openDatabase(path.join(stateDir, SESSIONS_DB), { migrations: MIGRATIONS });
    this._register(
      toDisposable(() => {
        this.flushAll();
        this.db.close();
      }),
    );
    this.interrupted = this.markInterrupted();
    this._register(
      events.onEvent((e) => {
        if (e.name === 'task/event') {
          const d = e.data as { taskId: string; seq: number; event: TaskEvent };
          this.onTaskEvent(d.taskId, d.seq, d.event);
        } else if (e.name === 'patches/ready') {
          const d = e.data as { setId: string; taskId?: string };
          if (d.taskId) this.db.prepare('UPDATE sessions SET patch_set_id = ? WHERE task_id = ?').run(d.setId, d.taskId);
        }
      }),
    );
  }

  /**
   * Sessions a previous run of the kernel left unfinished (it was killed, crashed or its engine restarted: the queue and
   * the running tasks lived in its memory). Constructed before any task starts, so each such session is marked `failed`
   * with why, and its transcript ends with that `finished` event — nobody is left waiting on a task that will never end.
   */
  readonly interrupted: string[];

  private markInterrupted(): string[] {
    const rows = this.db.prepare('SELECT task_id FROM sessions WHERE status IS NULL').all() as { task_id: string }[];
    const at = this.now();
    const mark = this.db.transaction((taskId: string) => {
      const event: TaskEvent = {
        type: 'finished',
        status: 'failed',
        message: INTERRUPTED_MESSAGE,
        error: { code: 'TASK_INTERRUPTED', message: INTERRUPTED_MESSAGE, hint: INTERRUPTED_HINT },
      };
      this.db
        .prepare('INSERT OR IGNORE INTO events (task_id, seq, at, json) VALUES (?, ?, ?, ?)')
        .run(taskId, this.nextSeq(taskId), at, JSON.stringify(event));
      this.db
        .prepare('UPDATE sessions SET events = events + 1, finished_at = ?, status = ?, message = ? WHERE task_id = ?')
        .run(at, 'failed', INTERRUPTED_MESSAGE, taskId);
    });
    for (const r of rows) mark(r.task_id);
    return rows.map((r) => r.task_id);
  }

  started(s: SessionStart): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO sessions (task_id, prompt, provider, model, mode, created_at, continues) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(s.taskId, s.prompt, s.provider, s.model, s.mode ?? null, this.now(), s.continues ?? null);
  }

  /** A task whose start failed after its session was stored: the session ends failed with why (its last event). */
  notStarted(taskId: string, message: string): void {
    this.onTaskEvent(taskId, this.nextSeq(taskId), { type: 'finished', status: 'failed', message: `Task failed: ${message}` });
  }

  /** The seq after a session's last stored event: an event the kernel itself adds to it. */
  private nextSeq(taskId: string): number {
    const last = this.db.prepare('SELECT MAX(seq) AS seq FROM events WHERE task_id = ?').get(taskId) as { seq: number | null };
    return (last.seq ?? -1) + 1;
  }

  private onTaskEvent(taskId: string, seq: number, event: TaskEvent): void {
    if (event.type === 'text-delta') {
      const p = this.pendingText.get(taskId);
      if (p && p.text.length < MAX_TEXT_RUN) p.text += event.text;
      else {
        if (p) this.flush(taskId);
        this.pendingText.set(taskId, { seq, at: this.now(), text: event.text });
      }
      return;
    }
    this.flush(taskId);
    this.store(taskId, seq, this.now(), event);
    if (event.type === 'usage')
      this.db.prepare('UPDATE sessions SET total_tokens = ?, cost_usd = ? WHERE task_id = ?').run(event.totalTokens, event.costUsd, taskId);
    if (event.type === 'finished') {
      this.db
        .prepare('UPDATE sessions SET finished_at = ?, status = ?, message = ? WHERE task_id = ?')
        .run(this.now(), event.status, event.message, taskId);
    }
  }

  private flush(taskId: string): void {
    const p = this.pendingText.get(taskId);
    if (!p) return;
    this.pendingText.delete(taskId);
    this.store(taskId, p.seq, p.at, { type: 'text-delta', text: p.text });
  }

  private flushAll(): void {
    for (const id of [...this.pendingText.keys()]) this.flush(id);
  }

  private store(taskId: string, seq: number, at: number, event: TaskEvent): void {
    const row = this.db.prepare('SELECT events FROM sessions WHERE task_id = ?').get(taskId) as { events: number } | undefined;
    if (!row || row.events > MAX_EVENTS_PER_SESSION) return;
    const capped = row.events === MAX_EVENTS_PER_SESSION;
    const stored: TaskEvent = capped ? { type: 'text-delta', text: `\n[transcript capped at ${MAX_EVENTS_PER_SESSION} events]\n` } : event;
    this.db.transaction(() => {
      this.db
        .prepare('INSERT OR IGNORE INTO events (task_id, seq, at, json) VALUES (?, ?, ?, ?)')
        .run(taskId, seq, at, JSON.stringify(stored));
      this.db.prepare('UPDATE sessions SET events = events + 1 WHERE task_id = ?').run(taskId);
    })();
  }

  list(limit: number): SessionSummary[] {
    this.flushAll();
    return (this.db.prepare('SELECT * FROM sessions ORDER BY created_at DESC, task_id DESC LIMIT ?').all(limit) as Row[]).map(summary);
  }

  get(taskId: string): SessionSummary | undefined {
    this.flush(taskId);
    const r = this.db.prepare('SELECT * FROM sessions WHERE task_id = ?').get(taskId) as Row | undefined;
    return r && summary(r);
  }

  events(taskId: string): StoredEvent[] {
    this.flush(taskId);
    return (
      this.db.prepare('SELECT seq, at, json FROM events WHERE task_id = ? ORDER BY seq').all(taskId) as {
        seq: number;
        at: number;
        json: string;
      }[]
    ).map((r) => ({ seq: r.seq, at: r.at, event: JSON.parse(r.json) as TaskEvent }));
  }

  delete(taskId: string): boolean {
    this.pendingText.delete(taskId);
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM events WHERE task_id = ?').run(taskId);
      return this.db.prepare('DELETE FROM sessions WHERE task_id = ?').run(taskId).changes > 0;
    })();
  }
}
