// Queries: filters, keyset paging both ways, time ranges through the seq binary search, and CSV/time helpers of the CLI.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { csvCell, parseTime } from '../../../cli/src/commands/audit';
import { iterateEntries, queryEntries, seqForTime } from '../../../core/src/audit/query';
import { AUDIT_MIGRATIONS } from '../../../core/src/audit/schema';
import { migrate } from '../../../core/src/store/sqlite';

function seeded(n: number): Database.Database {
  const db = new Database(':memory:');
  migrate(db, AUDIT_MIGRATIONS);
  const ins = db.prepare(`INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,zeroblob(32),?,zeroblob(32),zeroblob(32))`);
  const span = db.prepare('INSERT INTO sessions VALUES (?, ?, ?) ON CONFLICT(session) DO UPDATE SET last_seq = excluded.last_seq');
  for (let i = 1; i <= n; i++) {
    // Time steps by 10 ms, with runs of equal times (time never decreases).
    if (i % 2) span.run('s1', i, i);
    ins.run(
      i,
      1000 + Math.floor(i / 3) * 10,
      i % 2 ? 's1' : '',
      'agent',
      i % 5 ? 'tool.call' : 'patch.merge',
      `src/f${i}.ts`,
      i % 4 ? 'allow' : 'deny',
      '["r"]',
      i % 7 ? null : `{"i":${i}}`,
    );
  }
  return db;
}

describe('audit query', () => {
  it('filters by session, action prefix, decision and resource, newest first', () => {
    const db = seeded(100);
    const p = queryEntries(db, { session: 's1', action: 'patch.*', decision: 'allow', limit: 100 });
    assert.deepEqual(
      p.entries.map((e) => e.seq),
      [95, 85, 75, 65, 55, 45, 35, 25, 15, 5],
    );
    assert.equal(p.nextCursor, undefined);
    assert.deepEqual(
      queryEntries(db, { resource: 'f10.', limit: 5 }).entries.map((e) => e.seq),
      [10],
    );
    assert.equal(queryEntries(db, { session: 's1', limit: 1 }).entries[0].session, 's1');
    assert.equal(queryEntries(db, { action: 'tool.call', limit: 1, cursor: 99 }).entries[0].session, null);
  });

  it('pages with a cursor in both directions without gaps or repeats', () => {
    const db = seeded(57);
    for (const order of ['asc', 'desc'] as const) {
      const seen: number[] = [];
      let cursor: number | undefined;
      do {
        const p = queryEntries(db, { order, limit: 10, cursor });
        seen.push(...p.entries.map((e) => e.seq));
        cursor = p.nextCursor;
      } while (cursor !== undefined);
      const all = Array.from({ length: 57 }, (_, i) => i + 1);
      assert.deepEqual(seen, order === 'asc' ? all : all.reverse());
    }
  });

  it('maps time ranges to seq ranges (inclusive), and includes payloads only when asked', () => {
    const db = seeded(60);
    for (const t of [999, 1000, 1005, 1010, 1100, 1195, 1200, 5000]) {
      const first = (db.prepare('SELECT min(seq) FROM entries WHERE time >= ?').pluck().get(t) as number | null) ?? 61;
      const last = (db.prepare('SELECT max(seq) FROM entries WHERE time <= ?').pluck().get(t) as number | null) ?? 0;
      assert.equal(seqForTime(db, t, 'atLeast'), first, `atLeast ${t}`);
      assert.equal(seqForTime(db, t, 'atMost'), last, `atMost ${t}`);
    }
    const r = [...iterateEntries(db, { since: 1050, until: 1100 })];
    assert.deepEqual(
      r.map((e) => e.time),
      [1050, 1050, 1050, 1060, 1060, 1060, 1070, 1070, 1070, 1080, 1080, 1080, 1090, 1090, 1090, 1100, 1100, 1100],
    );
    assert.deepEqual(queryEntries(db, { limit: 1, cursor: 8, payloads: true }).entries[0].payload, { i: 7 });
    assert.equal(queryEntries(db, { limit: 1, cursor: 8 }).entries[0].payload, null);
  });

  it('CLI helpers: CSV quoting defuses formulas; times accept ISO, epoch ms and ages', () => {
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('=SUM(A1)'), `'=SUM(A1)`);
    assert.equal(csvCell(['r1', 'r2']), 'r1 r2');
    assert.equal(csvCell(null), '');
    assert.equal(parseTime('2025-01-31T12:00:00Z'), Date.UTC(2025, 0, 31, 12));
    assert.equal(parseTime('1738324800000'), 1738324800000);
    assert.equal(parseTime('2h', 10_000_000), 10_000_000 - 7_200_000);
    assert.throws(
      () => parseTime('yesterday-ish'),
      (e: { code?: string }) => e.code === 'CLI_USAGE',
    );
  });
});
