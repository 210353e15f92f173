// What needs the person, folded from chat ops: approvals (badge, notification, "waiting for you"), working, error.
import * as assert from 'node:assert/strict';
import type { ChatItem, ChatOp } from '../../../protocol/src/webview';
import {
  applyAttention,
  attentionBadge,
  attentionStatus,
  emptyAttention,
  markErrorsSeen,
} from '../../../extension/src/attention/attentionModel';

const approval = (id: string, state: Extract<ChatItem, { type: 'approval' }>['state'], toolName = 'fs.write'): ChatOp => ({
  type: 'upsert',
  item: { type: 'approval', id, taskId: 't1', callId: `c_${id}`, toolName, arguments: '{}', reason: 'strict mode asks', state },
});

describe('attention', () => {
  it('is idle, then working while a task runs, then waiting for you while an approval is pending', () => {
    const a = emptyAttention();
    assert.equal(attentionStatus(a).kind, 'idle');
    assert.deepEqual(attentionBadge(a), { value: 0, tooltip: '' }, 'a badge of 0 (VS Code draws none; undefined would not clear it)');
    applyAttention(a, 's1', [{ type: 'status', running: true, taskId: 't1' }]);
    assert.deepEqual(attentionStatus(a), { kind: 'working', text: 'Airlock: working…', tooltip: '1 task running' });
    const fresh = applyAttention(a, 's1', [approval('r1', 'pending'), approval('r2', 'pending', 'exec')]);
    assert.deepEqual(
      fresh.map((p) => p.id),
      ['r1', 'r2'],
      'each new approval is announced once',
    );
    assert.deepEqual(applyAttention(a, 's1', [approval('r1', 'pending')]), [], 'an update of the same card is not new');
    assert.equal(attentionStatus(a).text, 'Airlock: waiting for you');
    assert.match(attentionStatus(a).tooltip, /2 approvals pending \(fs\.write, exec\)/);
    assert.deepEqual(attentionBadge(a), { value: 2, tooltip: '2 approvals waiting for you' });
    applyAttention(a, 's1', [approval('r1', 'allowed'), approval('r2', 'expired')]);
    assert.deepEqual(attentionBadge(a), { value: 0, tooltip: '' }, 'answered or expired approvals clear the badge');
    assert.equal(attentionStatus(a).kind, 'working');
  });

  it('shows an error until that session sends again', () => {
    const a = emptyAttention();
    applyAttention(a, 's1', [
      { type: 'status', running: false, taskId: null },
      { type: 'upsert', item: { type: 'notice', id: 'n1', level: 'error', text: 'Task failed: model unreachable' } },
    ]);
    assert.equal(attentionStatus(a).kind, 'error');
    assert.match(attentionStatus(a).tooltip, /model unreachable/);
    applyAttention(a, 's1', [{ type: 'status', running: true, taskId: 't2' }]);
    assert.equal(attentionStatus(a).kind, 'working');
  });

  it('an error seen in the chat leaves the status bar to the kernel; a pending approval stays', () => {
    const a = emptyAttention();
    applyAttention(a, 's1', [approval('ap1', 'pending', 'exec')]);
    applyAttention(a, 's2', [{ type: 'upsert', item: { type: 'notice', id: 'n1', level: 'error', text: 'Task interrupted' } }]);
    markErrorsSeen(a);
    assert.equal(attentionStatus(a).kind, 'waiting');
    applyAttention(a, 's1', [approval('ap1', 'allowed', 'exec')]);
    assert.equal(attentionStatus(a).kind, 'idle');
  });
});
