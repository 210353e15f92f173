// The canonical bytes: JS (writer) and SQL (verifier) agree for any field values, and every field changes the hash.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import {
  DOMAIN,
  ENTRY_INPUT_SQL,
  entryHash,
  entryInput,
  genesisHash,
  payloadParts,
  type StoredFields,
  wellFormed,
} from '../../../core/src/audit/canonical';
import { AUDIT_MIGRATIONS } from '../../../core/src/audit/schema';
import { migrate } from '../../../core/src/store/sqlite';

function memoryDb(): Database.Database {
  const db = new Database(':memory:');
  migrate(db, AUDIT_MIGRATIONS);
  return db;
}

const text = fc.string({ unit: 'binary', maxLength: 40 });

describe('audit canonical serialisation', () => {
  it('SQL builds exactly the bytes JS hashes, for arbitrary unicode, NULs, newlines and lone surrogates', () => {
    const db = memoryDb();
    const ins = db.prepare('INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,unhex(?),?,unhex(?),unhex(?))');
    const sel = db.prepare(`SELECT ${ENTRY_INPUT_SQL} FROM entries WHERE seq = ?`).pluck();
    let seq = 0;
    fc.assert(
      fc.property(
        text,
        text,
        text,
        text,
        fc.option(text, { nil: null }),
        fc.integer({ min: 0, max: 2 ** 45 }),
        (session, subject, resource, decision, payload, time) => {
          seq++;
          const f: StoredFields = {
            seq,
            time,
            session: wellFormed(session),
            subject: wellFormed(subject),
            action: 'a.b',
            resource: wellFormed(resource),
            decision: wellFormed(decision),
            ruleIds: '["x"]',
            payloadDigest: 'ab'.repeat(32),
            payload: payload === null ? null : wellFormed(payload),
          };
          const prev = 'cd'.repeat(32);
          ins.run(
            f.seq,
            f.time,
            f.session,
            f.subject,
            f.action,
            f.resource,
            f.decision,
            f.ruleIds,
            f.payloadDigest,
            f.payload,
            prev,
            entryHash(prev, f),
          );
          assert.equal(Buffer.from(sel.get(seq) as string).toString('hex'), Buffer.from(entryInput(prev, f)).toString('hex'));
        },
      ),
      { numRuns: 300 },
    );
    db.close();
  });

  it('NUL separates fields and never occurs inside one: moving text between fields changes the hash', () => {
    const base: StoredFields = {
      seq: 1,
      time: 5,
      session: 'ab',
      subject: 'c',
      action: 'x.y',
      resource: '',
      decision: '',
      ruleIds: '[]',
      payloadDigest: 'ab'.repeat(32),
      payload: null,
    };
    assert.equal(wellFormed('a\0b'), 'a\uFFFDb');
    const moved: StoredFields = { ...base, session: 'a', subject: 'bc' };
    assert.notEqual(entryHash('00'.repeat(32), base), entryHash('00'.repeat(32), moved));
    for (const k of ['seq', 'time', 'session', 'subject', 'action', 'resource', 'decision', 'ruleIds', 'payload'] as const) {
      const changed = { ...base, [k]: typeof base[k] === 'number' ? (base[k] as number) + 1 : `${base[k] ?? ''}z` };
      assert.notEqual(entryHash('00'.repeat(32), changed), entryHash('00'.repeat(32), base), k);
    }
    // An empty stored payload is not the same as none.
    assert.notEqual(entryHash('00'.repeat(32), { ...base, payload: '' }), entryHash('00'.repeat(32), base));
    assert.notEqual(entryHash('00'.repeat(32), base), entryHash('01'.repeat(32), base));
  });

  it('separates domains: entry, payload and genesis digests never coincide', () => {
    assert.ok(
      entryInput('00'.repeat(32), {
        seq: 1,
        time: 1,
        session: '',
        subject: 's',
        action: 'a',
        resource: '',
        decision: '',
        ruleIds: '[]',
        payloadDigest: 'ab'.repeat(32),
        payload: null,
      }).startsWith(DOMAIN.entry),
    );
    assert.notEqual(genesisHash('x'), payloadParts('x').digest);
    assert.notEqual(genesisHash('a'), genesisHash('b'));
  });

  it('keeps only the digest of a large payload, and a stable digest for none', () => {
    const big = payloadParts({ blob: 'x'.repeat(20_000) });
    assert.equal(big.stored, null);
    assert.match(big.digest, /^[0-9a-f]{64}$/);
    assert.notEqual(big.digest, payloadParts({ blob: 'y'.repeat(20_000) }).digest);
    assert.deepEqual(payloadParts(undefined), payloadParts(null));
    assert.equal(payloadParts({ a: 1 }).stored, '{"a":1}');
  });
});
