// tasks/changed and workflow/changed reach a connected client (in-process kernel) as the scheduler and workflow move.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { events } from '../../../protocol/src/events';
import type { TaskInfo } from '../../../protocol/src/methods/tasks';
import { Scheduler } from '../../../kernel/src/scheduler/scheduler';
import { WorkflowService } from '../../../kernel/src/workflow/machine';
import { connectEvents } from '../../../kernel/src/workflow/wiring';
import { testAudit } from './helpers';
import { inProcessKernel, type InProcessKernel } from '../kernel-harness';

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for events');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('push events for the Tasks view', () => {
  let k: InProcessKernel;
  let scheduler: Scheduler;
  let workflow: WorkflowService;
  beforeEach(async () => {
    // This test's own scheduler (one cpu) and workflow, connected to the client's events by the test itself.
    k = await inProcessKernel(
      {},
      {
        replace: (s) => {
          scheduler = new Scheduler({ limits: { cpu: 1 } });
          workflow = new WorkflowService({ audit: testAudit().audit, dbPath: path.join(s.config.stateDir, 'test-workflow.db') });
          return { scheduler, workflow };
        },
      },
    );
  });
  afterEach(() => {
    scheduler.dispose();
    workflow.dispose();
    k.dispose();
  });

  it('every task state change is pushed as tasks/changed, valid against its schema', async () => {
    const seen: TaskInfo[] = [];
    k.client.onEvent('tasks/changed', (t) => seen.push(t));
    const conn = connectEvents(k.services.events, scheduler, workflow);
    let finish!: () => void;
    scheduler.submit(
      { id: 'a', title: 'first', priority: 1, resources: { cpu: 1 } },
      () =>
        new Promise<void>((r) => {
          finish = r;
        }),
    );
    scheduler.submit({ id: 'b', priority: 2, resources: { cpu: 1 } }, async () => {});
    await k.client.request('tasks/pause', { id: 'b' });
    await k.client.request('tasks/resume', { id: 'b' });
    finish();
    await until(() => seen.some((t) => t.id === 'b' && t.state === 'done'));
    // The states each task went through, repeats folded.
    const trail = (id: string) =>
      seen
        .filter((t) => t.id === id)
        .map((t) => t.state)
        .filter((s, i, a) => s !== a[i - 1]);
    assert.deepEqual(trail('a'), ['queued', 'running', 'done']);
    assert.deepEqual(trail('b'), ['queued', 'paused', 'queued', 'running', 'done']);
    for (const t of seen) events['tasks/changed'].parse(t);
    // Disconnected: nothing more is pushed.
    conn.dispose();
    const n = seen.length;
    scheduler.submit({ id: 'c', priority: 0 }, async () => {});
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(seen.length, n);
  });

  it('workflow transitions, refusals and mode switches are pushed as workflow/changed', async () => {
    const seen: Array<{ kind: string; state: string }> = [];
    k.client.onEvent('workflow/changed', (e) => {
      events['workflow/changed'].parse(e);
      seen.push({ kind: e.record.kind, state: e.session.state });
    });
    const conn = connectEvents(k.services.events, undefined, workflow);
    workflow.create('s1', 'explore');
    await k.client.request('workflow/transition', { sessionId: 's1', to: 'review' });
    await assert.rejects(k.client.request('workflow/transition', { sessionId: 's1', to: 'red' }), /no transition/);
    await k.client.request('workflow/setMode', { sessionId: 's1', mode: 'strict', reason: 'tighten' });
    await until(() => seen.length === 4);
    assert.deepEqual(seen, [
      { kind: 'create', state: 'editing' },
      { kind: 'transition', state: 'review' },
      { kind: 'refused', state: 'review' },
      { kind: 'mode', state: 'spec' },
    ]);
    conn.dispose();
  });
});
