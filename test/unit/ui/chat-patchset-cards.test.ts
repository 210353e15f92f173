// The chat's patch-set cards follow review (merged / partly merged / rejected), and the state is kept with the session.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { ChatItem } from '../../../protocol/src/webview';
import { addPatchSet, addUserMessage, newSession, rewindPlan, truncateAt } from '../../../extension/src/chat/sessionModel';
import {
  cardState,
  reopenedProposal,
  sessionProposal,
  sessionsWithSet,
  setCardState,
  supersedeEarlier,
} from '../../../extension/src/chat/patchSetCards';

const shown = (status: 'pending' | 'merged' | 'rejected', done: string[] = [], review = {}) => ({ set: { status }, review, done });

describe('chat patch-set cards follow review', () => {
  it('says ready, partly merged, merged or rejected from review/show', () => {
    assert.equal(cardState(shown('pending')), 'ready');
    assert.equal(cardState(shown('pending', ['src/a.js'])), 'partly-merged', 'some merged, the rest still open');
    assert.equal(cardState(shown('merged', ['src/a.js'])), 'merged');
    const someRejected = { 'src/b.js': { file: 'reject' as const, hunks: {} } };
    assert.equal(cardState(shown('merged', ['src/a.js'], someRejected)), 'partly-merged', 'merged what was accepted, rejected the rest');
    const hunkRejected = { 'src/a.js': { hunks: { h_0000000000000001: 'reject' as const } } };
    assert.equal(cardState(shown('merged', ['h_0000000000000002'], hunkRejected)), 'partly-merged');
    assert.equal(cardState(shown('rejected', [], someRejected)), 'rejected');
  });

  it("a follow-up sends the session's sets oldest first; after a rewind, only the kept turns' sets", () => {
    const s = newSession('s1', 'strict', 0);
    addUserMessage(s, 'write a.js', 1);
    addPatchSet(s, { setId: 'ps_turn1', files: 1, added: 1, removed: 0 });
    const [second] = addUserMessage(s, 'now test it', 2);
    addPatchSet(s, { setId: 'ps_turn2', files: 2, added: 5, removed: 0 });
    assert.deepEqual(sessionProposal(s), ['ps_turn1', 'ps_turn2']);
    const plan = rewindPlan(s, second!.type === 'upsert' ? second!.item.id : '');
    assert.ok(plan);
    truncateAt(s, plan.index, 3);
    assert.deepEqual(sessionProposal(s), ['ps_turn1']);
    assert.deepEqual(sessionProposal(newSession('s2', 'strict', 0)), []);
  });

  it('a follow-up set supersedes the open earlier cards; a rejection or a rewind reopens the one the next turn starts from', () => {
    const s = newSession('s1', 'strict', 0);
    const states = () => s.items.flatMap((i) => (i.type === 'patchset' ? [`${i.setId}:${i.state ?? 'ready'}`] : []));
    addPatchSet(s, { setId: 'ps_old1', files: 1, added: 1, removed: 0 });
    addPatchSet(s, { setId: 'ps_turn1', files: 1, added: 1, removed: 0 });
    setCardState(s, 'ps_old1', 'merged', 1);
    addPatchSet(s, { setId: 'ps_turn2', files: 2, added: 3, removed: 0 });
    const ops = supersedeEarlier(s, 'ps_turn2', 2);
    assert.equal(ops.length, 1, 'only the open earlier card');
    assert.deepEqual(states(), ['ps_old1:merged', 'ps_turn1:superseded', 'ps_turn2:ready']);
    assert.equal(reopenedProposal(s), undefined, 'the newest card is the proposal');
    setCardState(s, 'ps_turn2', 'rejected', 3);
    assert.equal(reopenedProposal(s), 'ps_turn1', 'the newest set not wholly rejected is the proposal again');
    s.items = s.items.filter((i) => i.type !== 'patchset' || i.setId !== 'ps_turn2'); // a rewind cut it
    assert.equal(reopenedProposal(s), 'ps_turn1');
    setCardState(s, 'ps_turn1', cardState({ set: { status: 'pending' }, review: {}, done: [] }), 4);
    assert.equal(reopenedProposal(s), undefined);
  });

  it("moves only that set's cards, in every session holding one; the state survives the session's round trip", () => {
    const a = newSession('s1', 'strict', 0);
    const b = newSession('s2', 'strict', 0);
    addPatchSet(a, { setId: 'ps_one1', files: 1, added: 1, removed: 0 });
    addPatchSet(a, { setId: 'ps_two2', files: 2, added: 3, removed: 1 });
    addPatchSet(b, { setId: 'ps_one1', files: 1, added: 1, removed: 0 });
    const owners = sessionsWithSet([a, b], 'ps_one1');
    assert.deepEqual(
      owners.map((s) => s.id),
      ['s1', 's2'],
    );
    const ops = setCardState(a, 'ps_one1', 'merged', 5);
    assert.equal(ops.length, 1);
    assert.equal(a.updatedAt, 5);
    const cards = a.items.filter((i) => i.type === 'patchset');
    assert.deepEqual(
      cards.map((c) => [c.setId, c.state ?? 'ready']),
      [
        ['ps_one1', 'merged'],
        ['ps_two2', 'ready'],
      ],
    );
    assert.deepEqual(setCardState(a, 'ps_one1', 'merged', 6), [], 'no op when nothing changes');
    // Stored sessions are plain JSON parsed back through the schema: the state is kept; an old card reads as ready.
    const back = ChatItem.parse(JSON.parse(JSON.stringify(cards[0])));
    assert.equal(back.type === 'patchset' && back.state, 'merged');
    const old = ChatItem.parse({ type: 'patchset', id: 'p_x', setId: 'ps_old1', files: 1, added: 0, removed: 0 });
    assert.equal(old.type === 'patchset' && old.state, undefined);
  });
});
