// Patch events reach the audit log synchronously, in the producing task's session, with a normalised decision.
import * as assert from 'node:assert/strict';
import { patchAuditSink } from '../../../kernel/src/patches/audit-sink';
import type { AuditInput } from '../../../protocol/src/audit';

describe('patch audit sink', () => {
  it('records each patch event synchronously with session, decision and detail', async () => {
    const got: Array<[AuditInput, { sync?: boolean }]> = [];
    const sink = patchAuditSink(
      () => ({
        append: ((i: AuditInput, o: { sync?: boolean }) => {
          got.push([i, o]);
          return Promise.resolve();
        }) as never,
      }),
      (id) => (id === 'ps_1' ? 'task_a' : undefined),
    );
    await sink.record({ action: 'review.generated', setId: 'ps_1', detail: { files: 2, blocked: 0, taskId: 'task_a' } });
    await sink.record({ action: 'review.merged', setId: 'ps_1', detail: { mergeId: 'm1', outcome: 'merged', paths: ['a'] } });
    await sink.record({ action: 'review.decide', setId: 'ps_unknown', detail: { items: [] } });
    assert.deepEqual(
      got.map(([i, o]) => [i.action, i.session, i.decision, o.sync]),
      [
        ['review.generated', 'task_a', 'ok', true],
        ['review.merged', 'task_a', 'merged', true],
        ['review.decide', null, 'ok', true],
      ],
    );
  });

  it('fails the action when the audit log cannot record it', async () => {
    const sink = patchAuditSink(() => {
      throw new Error('AUDIT_UNAVAILABLE');
    });
    await assert.rejects(
      sink.record({ action: 'review.decide', setId: 'ps_1', detail: { items: [] } }) as Promise<void>,
      /AUDIT_UNAVAILABLE/,
    );
  });
});
