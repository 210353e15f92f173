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

describe('audit view: first screen read while the webview is made', () => {
  it("reads the table's page 0 (the same size)", () => assert.equal(FIRST_PAGE, PAGE_SIZE));

  it('reads the stats and then the newest page at once, before the view is ready; the read is used once', async () => {
    const { r, calls } = reader();
    const first = new AuditFirstScreen(r, () => assert.fail('no error'));
    await new Promise((res) => setImmediate(res));
    assert.deepEqual(calls, ['stats', `newest 521 ${FIRST_PAGE}`], 'both asked before the view is ready');
    assert.deepEqual(await first.take(), { stats: stats(500, 520), newest: page(521 - FIRST_PAGE) });
    // Used: the next load (a reload, the refresh after a verification) asks the kernel.
    assert.equal(await first.take(), undefined);
    assert.equal(await first.within(50), undefined);
    assert.equal(calls.length, 2);
  });

  it('goes in the HTML when it is read in time (then not again); a late one stays for the ready handshake', async () => {
    const quick = new AuditFirstScreen(reader().r, () => undefined);
    assert.deepEqual(await quick.within(1000), { stats: stats(500, 520), newest: page(521 - FIRST_PAGE) });
    assert.equal(await quick.take(), undefined, 'used by the HTML');

    let answer!: (s: AuditStats) => void;
    const slow: AuditReader = {
      stats: () => new Promise<AuditStats>((res) => (answer = res)),
      newest: async (cursor, limit) => page(cursor - limit),
    };
    const late = new AuditFirstScreen(slow, () => undefined);
    const t0 = Date.now();
    assert.equal(await late.within(30), undefined, 'not in time');
    assert.ok(Date.now() - t0 < 1000, 'the page waits no longer than asked');
    answer(stats(7, 7));
    assert.deepEqual(await late.take(), { stats: stats(7, 7), newest: page(8 - FIRST_PAGE) }, 'kept for the handshake');
  });

  it('reads no page of an empty log; a failed page is left out, failed stats leave the view to ask the kernel', async () => {
    const empty = reader({ entries: 0, lastSeq: 0 });
    assert.deepEqual(await new AuditFirstScreen(empty.r, () => undefined).take(), { stats: stats(0, 0) });
    assert.deepEqual(empty.calls, ['stats']);

    const errors: unknown[] = [];
    const down = new AuditFirstScreen(reader({ failStats: true }).r, (e) => errors.push(e));
    assert.equal(await down.within(1000), undefined);
    assert.equal(await down.take(), undefined);
    assert.equal(errors.length, 1);

    const badPage = new AuditFirstScreen(reader({ failPage: true }).r, (e) => errors.push(e));
    assert.deepEqual(await badPage.take(), { stats: stats(500, 520) }, 'the table asks for its page itself');
    assert.equal(errors.length, 1);
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
