// The Audit Log's first screen read while its webview loads (extension/src/audit/firstScreen.ts): used once, and only
// for exactly the query it answers; and when a view shown again checks the chain again.
import assert from 'node:assert/strict';
import type { AuditPage, AuditStats } from '../../../protocol/src/audit';
import { AuditFirstScreen, type AuditReader, checkOnShow, FIRST_PAGE } from '../../../extension/src/audit/firstScreen';
import { PAGE_SIZE } from '../../../webview/src/audit/pageCache';

const stats = (entries: number, lastSeq: number) => ({ entries, lastSeq }) as unknown as AuditStats;
const page = (n: number): AuditPage => ({ entries: [], nextCursor: n });

function reader(o: { entries?: number; lastSeq?: number; failStats?: boolean; failPage?: boolean } = {}) {
  const calls: string[] = [];
  const r: AuditReader = {
    async stats() {
      calls.push('stats');
      if (o.failStats) throw new Error('kernel gone');
      return stats(o.entries ?? 500, o.lastSeq ?? 520);
    },
    async newest(cursor, limit) {
      calls.push(`newest ${cursor} ${limit}`);
      if (o.failPage) throw new Error('query failed');
      return page(cursor - limit);
    },
  };
  return { r, calls };
}
const query = (cursor: number | undefined, filter = {}, limit = FIRST_PAGE) => ({ requestId: 1, filter, cursor, limit });

describe('audit view: first screen read while the webview loads', () => {
  it("reads pages of the table's size (else its first query never matches)", () => assert.equal(FIRST_PAGE, PAGE_SIZE));

  it('reads the stats and then the newest page at once, before the view asks; each is used once', async () => {
    const { r, calls } = reader();
    const first = new AuditFirstScreen(r, () => assert.fail('no error'));
    await new Promise((res) => setImmediate(res));
    assert.deepEqual(calls, ['stats', `newest 521 ${FIRST_PAGE}`], 'both asked before the view is ready');
    assert.deepEqual(await first.stats(), stats(500, 520));
    assert.deepEqual(await first.page(query(521)), page(521 - FIRST_PAGE));
    // Used: the next load (a reload, the refresh after a verification) and the next query ask the kernel.
    assert.equal(await first.stats(), undefined);
    assert.equal(await first.page(query(521)), undefined);
    assert.equal(calls.length, 2);
  });

  it('answers only the query it is: a filter, another cursor or size, or a page asked before the stats were shown', async () => {
    for (const q of [query(521, { action: 'task.' }), query(400), query(521, {}, 50)]) {
      const first = new AuditFirstScreen(reader().r, () => undefined);
      await first.stats();
      assert.equal(await first.page(q), undefined, JSON.stringify(q));
    }
    const early = new AuditFirstScreen(reader().r, () => undefined);
    assert.equal(await early.page(query(521)), undefined, 'the page goes only with the stats the view was shown');
    const cleared = new AuditFirstScreen(reader().r, () => undefined);
    await cleared.stats();
    assert.ok(await cleared.page(query(521, { action: '', session: undefined })), 'empty fields are no filter');
  });

  it('reads no page of an empty log, and a failed read leaves the view to ask the kernel', async () => {
    const empty = reader({ entries: 0, lastSeq: 0 });
    const first = new AuditFirstScreen(empty.r, () => undefined);
    assert.deepEqual(await first.stats(), stats(0, 0));
    assert.equal(await first.page(query(1)), undefined);
    assert.deepEqual(empty.calls, ['stats']);

    const errors: unknown[] = [];
    const down = new AuditFirstScreen(reader({ failStats: true }).r, (e) => errors.push(e));
    assert.equal(await down.stats(), undefined);
    assert.equal(errors.length, 1);

    const badPage = new AuditFirstScreen(reader({ failPage: true }).r, (e) => errors.push(e));
    await badPage.stats();
    assert.equal(await badPage.page(query(521)), undefined);
  });
});

describe('audit view shown again: whether it checks the chain again', () => {
  const intact = (lastSeq: number) =>
    ({ type: 'intact', entries: lastSeq, firstSeq: 1, lastSeq, headHash: 'c'.repeat(64), recovered: false, ms: 1 }) as const;
  it('checks when the log grew, the last check did not find it intact, there was none, or the stats are unknown', () => {
    assert.equal(checkOnShow(intact(520), { lastSeq: 520 }), false, 'intact up to the entry the log still ends at');
    assert.equal(checkOnShow(intact(520), { lastSeq: 525 }), true, 'new entries since');
    assert.equal(checkOnShow(intact(520), { lastSeq: 3 }), true, 'a log that is not the one checked');
    assert.equal(checkOnShow({ type: 'tampered', seq: 4, reason: 'hash-mismatch', message: 'x', ms: 1 }, { lastSeq: 520 }), true);
    assert.equal(checkOnShow({ type: 'unusable', code: 'AUDIT_X', message: 'x' }, { lastSeq: 520 }), true);
    assert.equal(checkOnShow(undefined, { lastSeq: 520 }), true);
    assert.equal(checkOnShow(intact(520), undefined), true);
  });
});
