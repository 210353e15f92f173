// Messages queued behind a running task, given back when the kernel goes away; messages refused before sending.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { AirlockError } from '../../../protocol/src/errors';
import { newSession } from '../../../extension/src/chat/sessionModel';
import { dequeue, enqueue, refuseMessage, unqueueToDraft } from '../../../extension/src/chat/queue';

describe('chat queue', () => {
  it('keeps messages in order, says each one is waiting, and empties', () => {
    const s = newSession('s', 'explore', 0);
    const ops = [...enqueue(s, 'first\nmore lines'), ...enqueue(s, 'second')];
    assert.deepEqual(
      ops.map((o) => o.type === 'upsert' && o.item.type === 'notice' && o.item.text),
      ['Queued: "first" runs when the current task ends (1 waiting).', 'Queued: "second" runs when the current task ends (2 waiting).'],
    );
    assert.equal(dequeue(s), 'first\nmore lines');
    assert.equal(dequeue(s), 'second');
    assert.equal(s.queued, undefined);
    assert.equal(dequeue(s), undefined);
  });

  it('hands queued messages back to the composer after the draft when the kernel goes away', () => {
    const s = newSession('s', 'explore', 0);
    s.draft = 'typing';
    enqueue(s, 'a');
    enqueue(s, 'b');
    const ops = unqueueToDraft(s);
    assert.equal(s.draft, 'typing\n\na\n\nb');
    assert.equal(s.queued, undefined);
    assert.equal(ops.length, 1);
    assert.deepEqual(unqueueToDraft(s), []);
  });

  it('a refused message says why in the transcript and goes back to the composer', () => {
    const s = newSession('s', 'explore', 0);
    const [op] = refuseMessage(
      s,
      'read @.env',
      new AirlockError('POLICY_DENIED', '.env cannot be attached: secrets never reach the model', 'matched rule(s): secrets'),
    );
    assert.equal(s.draft, 'read @.env');
    assert.equal(
      op?.type === 'upsert' && op.item.type === 'notice' && op.item.text,
      'Not sent: .env cannot be attached: secrets never reach the model (matched rule(s): secrets)',
    );
  });
});
