// The tasks/* and workflow/* RPC handlers over real services, with results checked against the protocol schemas.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { type AirlockError } from '../../../protocol/src/errors';
import { methods } from '../../../protocol/src/methods';
import type { HandlerMap, RequestContext } from '../../../protocol/src/rpc-server';
import { schedulerHandlers, workflowHandlers } from '../../../kernel/src/handlers/registry';
import { Scheduler } from '../../../kernel/src/scheduler/scheduler';
import { WorkflowService } from '../../../kernel/src/workflow/machine';
import { tempDir, testAudit } from './helpers';

describe('tasks/* and workflow/* handlers', () => {
  const ctx = { signal: new AbortController().signal } as RequestContext;
  let scheduler: Scheduler;
  let workflow: WorkflowService;
  let h: HandlerMap;
  beforeEach(() => {
    scheduler = new Scheduler({ limits: { cpu: 1 } });
    const { log, audit } = testAudit();
    workflow = new WorkflowService({ audit, dbPath: path.join(tempDir('wf-h'), 'workflow.db') });
    h = { ...schedulerHandlers({ scheduler, audit: { writer: log } }), ...workflowHandlers({ workflow }) };
  });
  afterEach(() => {
    scheduler.dispose();
    workflow.dispose();
  });

  it('lists, pauses, resumes and cancels tasks', async () => {
    scheduler.submit({ id: 'a', title: 'index repo', priority: 1, resources: { cpu: 1 } }, () => new Promise(() => {}));
    scheduler.submit({ id: 'b', priority: 2, resources: { cpu: 1 } }, async () => {});
    const listed = methods['tasks/list'][1].parse(await h['tasks/list']!({ states: ['queued'] }, ctx));
    assert.deepEqual(
      listed.tasks.map((t) => t.id),
      ['b'],
    );
    assert.deepEqual([listed.limits, listed.inUse.cpu], [{ cpu: 1 }, 1]);
    const paused = methods['tasks/pause'][1].parse(await h['tasks/pause']!({ id: 'b' }, ctx));
    assert.deepEqual([paused.task.state, paused.task.pausedBy], ['paused', 'person']);
    assert.equal((await h['tasks/resume']!({ id: 'b' }, ctx)).task.state, 'queued');
    const cancelled = await h['tasks/cancel']!({ id: 'a', reason: 'wrong repo' }, ctx);
    assert.deepEqual([cancelled.task.state, cancelled.task.reason], ['cancelled', 'wrong repo']);
    await assert.rejects(
      Promise.resolve().then(() => h['tasks/cancel']!({ id: 'zz' }, ctx)),
      (e: AirlockError) => e.code === 'TASKS_NOT_FOUND',
    );
  });

  it('gets sessions, transitions as a person and switches mode', async () => {
    workflow.create('s1', 'explore');
    const got = methods['workflow/get'][1].parse(await h['workflow/get']!({ sessionId: 's1' }, ctx));
    assert.deepEqual(got.sessions[0].next, [{ to: 'review', guards: [] }]);
    assert.equal(got.history[0].kind, 'create');
    const moved = methods['workflow/transition'][1].parse(await h['workflow/transition']!({ sessionId: 's1', to: 'review' }, ctx));
    assert.equal(moved.session.state, 'review');
    await assert.rejects(
      h['workflow/transition']!({ sessionId: 's1', to: 'merged' }, ctx) as Promise<unknown>,
      (e: AirlockError) => e.code === 'WORKFLOW_GUARD_FAILED',
    );
    const strict = methods['workflow/setMode'][1].parse(
      await h['workflow/setMode']!({ sessionId: 's1', mode: 'strict', reason: 'risky area' }, ctx),
    );
    assert.deepEqual([strict.session.mode, strict.session.state], ['strict', 'spec']);
    assert.equal((await h['workflow/get']!({}, ctx)).sessions.length, 1);
  });
});
