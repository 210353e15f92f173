// Pure view logic: virtual-list geometry (against a naive model), audit paging, filters and verification wording.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'mocha';
import { AuditPageCache, PAGE_SIZE } from '../../../webview/src/audit/pageCache';
import { describeVerification, parseFilterForm } from '../../../webview/src/audit/format';
import { HeightIndex } from '../../../webview/src/shared/virtualRange';

describe('HeightIndex (virtual list geometry)', () => {
  it('offsets, indexAt and range match a naive prefix sum for any heights and scroll position', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 0, max: 50_000 }),
        fc.integer({ min: 1, max: 2000 }),
        (hs, scroll, viewport) => {
          const idx = new HeightIndex(40);
          idx.setLength(hs.length);
          hs.forEach((h, i) => idx.set(i, h));
          const prefix = [0];
          for (const h of hs) prefix.push(prefix.at(-1)! + h);
          assert.equal(idx.total(), prefix.at(-1));
          for (let i = 0; i <= hs.length; i++) assert.equal(idx.offset(i), prefix[i]);
          const { start, end } = idx.range(scroll, viewport, 0);
          const top = Math.min(scroll, prefix.at(-1)! - 1);
          assert.ok(prefix[start]! <= Math.max(0, top) && (start === hs.length - 1 || prefix[start + 1]! > Math.max(0, top)));
          assert.ok(end === hs.length || prefix[end]! > scroll + viewport);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps offsets right when items are appended and re-measured (streaming chat)', () => {
    const idx = new HeightIndex(50);
    idx.setLength(2000);
    assert.equal(idx.total(), 100_000);
    idx.set(10, 150);
    assert.equal(idx.offset(11), 11 * 50 + 100);
    idx.setLength(2001);
    assert.equal(idx.total(), 100_150);
    assert.equal(idx.indexAt(idx.offset(1500) + 1), 1500);
  });
});

const entry = (seq: number, action = 'a') => ({
  seq,
  time: seq,
  session: null,
  subject: 's',
  action,
  resource: '',
  decision: null,
  ruleIds: [],
  payloadDigest: 'a'.repeat(64),
  payload: null,
  prevHash: '0'.repeat(64),
  hash: 'b'.repeat(64),
});

describe('AuditPageCache', () => {
  it('unfiltered: any row of 100,000 is one request away, by sequence number', () => {
    const c = new AuditPageCache();
    c.reset({}, { lastSeq: 100_000, entries: 100_000 });
    assert.equal(c.rowCount(), 100_000);
    const reqs = c.want(50_000, 50_030);
    assert.equal(reqs.length, 1);
    const p = Math.floor(50_000 / PAGE_SIZE);
    assert.equal(reqs[0]!.cursor, 100_000 - p * PAGE_SIZE + 1);
    assert.deepEqual(c.want(50_000, 50_030), [], 'an in-flight page is not asked for twice');
    const seqs = Array.from({ length: PAGE_SIZE }, (_, i) => 100_000 - p * PAGE_SIZE - i);
    assert.deepEqual(
      c.receive(
        reqs[0]!.requestId,
        seqs.map((q) => entry(q)),
        undefined,
      ),
      { start: p * PAGE_SIZE, end: (p + 1) * PAGE_SIZE },
    );
    assert.equal(c.row(50_000)!.seq, 100_000 - 50_000);
  });

  it('filtered: pages in order with the kernel cursor, one loading row until exhausted; stale answers are dropped', () => {
    const c = new AuditPageCache();
    c.reset({ action: 'patch.*' }, { lastSeq: 10, entries: 10 });
    const [r0] = c.want(0, 50);
    assert.equal(r0!.cursor, undefined);
    assert.deepEqual(c.want(0, 500), [], 'waits for the first page before asking for the next');
    c.receive(
      r0!.requestId,
      Array.from({ length: PAGE_SIZE }, (_, i) => entry(9000 - i)),
      8801,
    );
    assert.equal(c.rowCount(), PAGE_SIZE + 1);
    const [r1] = c.want(PAGE_SIZE - 10, PAGE_SIZE + 10);
    assert.equal(r1!.cursor, 8801);
    c.reset({ action: 'policy.' }, null);
    assert.equal(c.receive(r1!.requestId, [entry(1)], undefined), undefined);
    const [r2] = c.want(0, 10);
    c.receive(r2!.requestId, [entry(3)], undefined);
    assert.equal(c.rowCount(), 1);
    assert.equal(c.done, true);
  });
});

describe('AuditPageCache: seeded with the newest page read with the stats', () => {
  const newest = (top: number) => Array.from({ length: PAGE_SIZE }, (_, i) => entry(top - i));
  it('unfiltered: page 0 is there without a request; the next page is asked for as before', () => {
    const c = new AuditPageCache();
    c.reset({}, { lastSeq: 1000, entries: 1000 });
    c.seed(newest(1000));
    assert.equal(c.row(0)!.seq, 1000);
    assert.equal(c.row(PAGE_SIZE - 1)!.seq, 1000 - PAGE_SIZE + 1);
    assert.deepEqual(c.want(0, 30), [], 'the first screen needs no request');
    const [r1] = c.want(0, PAGE_SIZE + 5);
    assert.equal(r1!.cursor, 1000 - PAGE_SIZE + 1, 'page 1 from where page 0 ended');
  });

  it('filtered: ignored (the filter asks for its own first page)', () => {
    const c = new AuditPageCache();
    c.reset({ action: 'tool.' }, { lastSeq: 1000, entries: 1000 });
    c.seed(newest(1000));
    assert.equal(c.row(0), undefined);
    assert.equal(c.want(0, 30).length, 1);
  });
});

describe('AuditPageCache: the Audit Log view reopened with new stats', () => {
  /** Page 0 of an unfiltered log ending at `last`: entries last, last-1, … */
  const newest = (last: number, action = 'a') => Array.from({ length: Math.min(PAGE_SIZE, last) }, (_, i) => entry(last - i, action));
  const loaded = (last: number) => {
    const c = new AuditPageCache();
    c.reset({}, { lastSeq: last, entries: last });
    const [r] = c.want(0, 40);
    c.receive(r!.requestId, newest(last), last > PAGE_SIZE ? last - PAGE_SIZE + 1 : undefined);
    return c;
  };

  it('keeps the rows it had, shifted under the new entries, and asks again for the page they are on', () => {
    const c = loaded(1000);
    c.reset({}, { lastSeq: 1005, entries: 1005 });
    assert.equal(c.rowCount(), 1005);
    assert.equal(c.row(0), undefined, 'a new entry is not known yet');
    assert.equal(c.row(5)?.seq, 1000, 'the former first row is still there, five rows down');
    assert.equal(c.row(40)?.seq, 965);
    const [r] = c.want(0, 40);
    assert.equal(r!.cursor, 1006, 'page 0 is read again from the new last entry');
    c.receive(r!.requestId, newest(1005, 'fresh'), 806);
    assert.equal(c.row(0)?.seq, 1005);
    assert.equal(c.row(5)?.action, 'fresh', 'the page read again replaces what was kept');
  });

  it('keeps nothing for a log that shrank (reset) or a filter (its rows are another list)', () => {
    const shrunk = loaded(1000);
    shrunk.reset({}, { lastSeq: 10, entries: 10 });
    assert.equal(shrunk.row(0), undefined);
    const filtered = loaded(1000);
    filtered.reset({ action: 'patch.*' }, { lastSeq: 1000, entries: 1000 });
    assert.equal(filtered.row(0), undefined);
    filtered.reset({}, { lastSeq: 1000, entries: 1000 });
    assert.equal(filtered.row(0), undefined, 'back to unfiltered after a filter: the earlier rows were dropped');
  });
});

describe('audit filter form and verification wording', () => {
  it('parses dates, drops empty fields and refuses nonsense', () => {
    const r = parseFilterForm({ action: ' patch.* ', session: '', since: '2025-01-31', until: '2025-02-01 12:00' });
    assert.ok(r.ok);
    if (r.ok) {
      assert.equal(r.filter.action, 'patch.*');
      assert.equal(r.filter.session, undefined);
      assert.equal(r.filter.since, Date.parse('2025-01-31'));
    }
    assert.equal(parseFilterForm({ since: 'yesterday-ish' }).ok, false);
    assert.equal(parseFilterForm({ since: '2025-02-02', until: '2025-02-01' }).ok, false);
  });

  it('says plainly whether the chain is intact, and escapes what the kernel reports', () => {
    assert.match(
      describeVerification(
        { type: 'intact', entries: 3, firstSeq: 1, lastSeq: 3, headHash: 'c'.repeat(64), recovered: false, ms: 2 },
        false,
        null,
      ),
      /Intact.*3 entries/,
    );
    const t = describeVerification({ type: 'tampered', seq: 42, reason: 'hash-mismatch', message: '<b>edited</b>', ms: 1 }, false, null);
    assert.match(t, /Tampered.*entry #42.*hash-mismatch/);
    assert.ok(!t.includes('<b>'));
    assert.match(describeVerification(null, true, null), /Verifying/);
    assert.match(describeVerification(null, false, { entries: 7 }), /Not verified yet — 7 entries/);
  });
});
