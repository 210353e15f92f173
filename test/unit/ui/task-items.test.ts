// The Tasks view's rows: outcome icons and words (failed, stopped, budget), never a green check for a failed task.
import * as assert from 'node:assert/strict';
import type { TaskInfo } from '../../../protocol/src/methods/tasks';
import { describeTask, describeUse, stateWords, taskIcon } from '../../../extension/src/tasks/taskItems';

const task = (over: Partial<TaskInfo>): TaskInfo => ({
  id: 't1',
  title: 'add mean',
  priority: 10,
  state: 'done',
  deps: [],
  resources: {},
  deadline: null,
  preemption: 'pause',
  submittedAt: 0,
  startedAt: 1_000,
  finishedAt: 13_000,
  pausedBy: null,
  reason: null,
  ...over,
});

describe('Tasks view items', () => {
  it('shows each outcome with its own icon: completed, failed, budget exceeded, stopped', () => {
    assert.equal(taskIcon(task({ state: 'done', outcome: 'completed' })).id, 'pass');
    assert.deepEqual(taskIcon(task({ state: 'failed', outcome: 'failed' })), { id: 'error', color: 'list.errorForeground' });
    assert.deepEqual(taskIcon(task({ state: 'failed', outcome: 'budget-exceeded' })), { id: 'dashboard', color: 'list.warningForeground' });
    assert.equal(taskIcon(task({ state: 'cancelled', outcome: 'cancelled' })).id, 'debug-stop');
    assert.equal(taskIcon(task({ state: 'running', finishedAt: null })).id, 'sync~spin');
    assert.notEqual(taskIcon(task({ state: 'failed' })).id, 'pass');
  });

  it('names the outcome in the description, with the reason and how long it ran', () => {
    assert.equal(stateWords({ state: 'failed', outcome: 'budget-exceeded' }), 'budget exceeded');
    assert.equal(stateWords({ state: 'cancelled' }), 'stopped');
    assert.equal(
      describeTask(task({ state: 'failed', outcome: 'budget-exceeded', reason: 'token budget of 1000 exceeded' })),
      'budget exceeded · p10 · 12 s · token budget of 1000 exceeded',
    );
    assert.equal(describeTask(task({ state: 'running', finishedAt: null }), 6_000), 'running · p10 · 5 s');
    assert.equal(describeUse({ sandboxes: 2, cpu: 4 }, { sandboxes: 1 }), 'sandboxes 1/2 · cpu 0/4');
  });
});
