// Work that ends badly without throwing (an agent task that failed or hit its budget) is listed as failed, with its outcome.
import * as assert from 'node:assert/strict';
import { Scheduler } from '../../../kernel/src/scheduler/scheduler';
import type { WorkOutcome } from '../../../kernel/src/scheduler/types';
import { flush } from './virtual-clock';

describe('scheduler: how the work ended', () => {
  const cases: Array<[WorkOutcome | undefined, string, string | null, string | undefined]> = [
    [
      { outcome: 'budget-exceeded', message: 'token budget of 1000 exceeded' },
      'failed',
      'token budget of 1000 exceeded',
      'budget-exceeded',
    ],
    [{ outcome: 'failed', message: 'the model call failed' }, 'failed', 'the model call failed', 'failed'],
    [{ outcome: 'cancelled', message: 'stopped by a person' }, 'cancelled', 'stopped by a person', 'cancelled'],
    [{ outcome: 'completed', message: 'done' }, 'done', null, 'completed'],
    [undefined, 'done', null, undefined],
  ];
  for (const [result, state, reason, outcome] of cases) {
    it(`work resolving ${result ? result.outcome : 'nothing'} is listed ${state}${outcome ? ` (${outcome})` : ''}, and frees its slot`, async () => {
      const s = new Scheduler({ limits: { cpu: 1 } });
      const changes: string[] = [];
      s.onDidChange((t) => changes.push(`${t.id} ${t.state}`));
      s.submit({ id: 'a', priority: 0, resources: { cpu: 1 } }, async () => result);
      s.submit({ id: 'b', priority: 0, resources: { cpu: 1 } }, () => new Promise<void>(() => undefined));
      await flush();
      const a = s.get('a')!;
      assert.deepEqual([a.state, a.reason, a.outcome], [state, reason, outcome]);
      assert.ok(changes.includes(`a ${state}`), 'the change is pushed to the Tasks view');
      assert.equal(s.get('b')!.state, 'running', 'the next task got the slot');
      s.dispose();
    });
  }
});
