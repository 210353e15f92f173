// Blame over merge records: newest merge first, lines mapped through later merges and edits, undone merges skipped.
import * as assert from 'node:assert/strict';
import type { AuditEntry, AuditQuery } from '../../../protocol/src/audit';
import type { MergedHunk } from '../../../protocol/src/provenance';
import { sha256 } from '../../../core/src/apply/file-hash';
import { blame } from '../../../kernel/src/patches/blame';
import { turnsByCall } from '../../../kernel/src/patches/provenance-links';

const v0 = 'a\nb\nc\n';
const v1 = 'a\nB1\nc\n'; // merge 1 (set ps_one) rewrote line 2
const v2 = 'top\na\nB1\nc\n'; // merge 2 (set ps_two) inserted line 1

function entry(seq: number, setId: string, payload: object): AuditEntry {
  return {
    seq,
    time: seq,
    session: null,
    subject: 'user',
    action: 'review.merged',
    resource: setId,
    decision: 'merged',
    ruleIds: [],
    payloadDigest: '0'.repeat(64),
    payload,
    prevHash: '0'.repeat(64),
    hash: String(seq).repeat(64).slice(0, 64),
  };
}
const hunk = (path: string, id: string, start: number, end: number, pre: string, post: string): MergedHunk => ({
  path,
  hunkId: id,
  hunkDigest: sha256(id),
  startLine: start,
  endLine: end,
  preHash: sha256(pre),
  postHash: sha256(post),
});

function sources(entries: AuditEntry[]) {
  const blobs = new Map([v0, v1, v2].map((t) => [sha256(t), t]));
  return { query: (q: AuditQuery) => ({ entries: entries.filter((e) => e.action === q.action) }), blob: (h: string) => blobs.get(h) };
}

describe('patches: blame through merge records', () => {
  const merges = [
    entry(1, 'ps_one', { mergeId: 'm1', outcome: 'merged', hunks: [hunk('f.txt', 'h_1', 2, 2, v0, v1)] }),
    entry(2, 'ps_two', { mergeId: 'm2', outcome: 'merged', hunks: [hunk('f.txt', 'h_2', 1, 1, v1, v2)] }),
  ];

  it('finds the newest merge that wrote a line, following a line an older merge wrote through a newer one', async () => {
    const [top, b1, c] = await blame(sources(merges), 'f.txt', v2, [1, 3, 4]);
    assert.deepEqual([top.merge?.setId, top.hunk?.hunkId], ['ps_two', 'h_2']);
    assert.deepEqual([b1.merge?.setId, b1.hunk?.hunkId, b1.text], ['ps_one', 'h_1', 'B1']);
    assert.match(b1.trail.join('\n'), /merge m2 of ps_two .* not this line \(line 2 before it\)/);
    assert.equal(c.origin, 'workspace');
  });

  it("maps through a person's later edit, and calls an edited line theirs", async () => {
    const edited = 'top\na\nmine\nB1\nc\n';
    const [mine, b1] = await blame(sources(merges), 'f.txt', edited, [3, 4]);
    assert.equal(mine.origin, 'workspace');
    assert.match(mine.trail.join('\n'), /edited in the workspace after merge m2/);
    assert.deepEqual([b1.merge?.setId, b1.hunk?.hunkId], ['ps_one', 'h_1']);
  });

  it('skips a merge an undo reverted, and stops where a kept text is missing', async () => {
    const undone = [merges[0], entry(2, 'ps_one', { mergeId: 'm1', outcome: 'undone' })];
    const [b] = await blame(sources(undone), 'f.txt', v0, [2]);
    assert.deepEqual([b.origin, b.trail], ['workspace', ['no Airlock merge wrote into this file']]);
    const lost = { ...sources(merges), blob: () => undefined };
    const [x] = await blame(lost, 'f.txt', 'other\n', [1]);
    assert.equal(x.origin, 'workspace');
    assert.match(x.trail.join('\n'), /not kept/);
  });

  it('numbers tool calls by the model turn they were made in', () => {
    const call = (id: string) => ({ type: 'tool-call' as const, call: { id, name: 'fs.edit', arguments: '{}' } });
    const ev = [{ type: 'turn-start' as const, turn: 1 }, call('a'), { type: 'turn-start' as const, turn: 2 }, call('b'), call('c')];
    assert.deepEqual(
      [...turnsByCall(ev.map((event, seq) => ({ seq, at: 0, event })))],
      [
        ['a', 1],
        ['b', 2],
        ['c', 2],
      ],
    );
  });
});
