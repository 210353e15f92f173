// The extension's airlock.autoMerge.* → task/start criteria and airlock.pool.* → sandbox/pools sizes mapping.
import * as assert from 'node:assert/strict';
import { autoMergeCriteria, poolSizes } from '../../../extension/src/chat/kernelSettings';
import { TaskStartParams } from '../../../protocol/src/methods/agent';
import { sandboxMethods } from '../../../protocol/src/methods/sandbox';

/** package.json's defaults, as VS Code's configuration returns them when nothing is set. */
const DEFAULTS: Record<string, unknown> = {
  'autoMerge.enabled': false,
  'autoMerge.paths': ['test/**'],
  'autoMerge.maxChangedLines': 20,
  'autoMerge.requireTestsPassed': true,
  'autoMerge.allowDeletes': false,
  'autoMerge.allowBinary': false,
  'pool.codeExecutor': 2,
  'pool.aiProvider': 1,
  'pool.policySandbox': 1,
  'pool.integrationTest': 0,
};
const settings =
  (over: Record<string, unknown> = {}) =>
  (k: string) =>
    ({ ...DEFAULTS, ...over })[k];

describe('ui: settings handed to the kernel', () => {
  it('auto-merge defaults: off, test/**, 20 lines, tests must pass, explore only — valid task/start params', () => {
    const c = autoMergeCriteria(settings());
    assert.deepEqual(c, {
      enabled: false,
      paths: ['test/**'],
      maxChangedLines: 20,
      requireTestsPassed: true,
      modes: ['explore'],
      allowDeletes: false,
      allowBinary: false,
    });
    assert.equal(TaskStartParams.safeParse({ prompt: 'p', autoMerge: c }).success, true);
  });

  it('each auto-merge setting maps to its criterion', () => {
    const c = autoMergeCriteria(
      settings({
        'autoMerge.enabled': true,
        'autoMerge.paths': [' docs/** ', '', 'test/**'],
        'autoMerge.maxChangedLines': 0,
        'autoMerge.requireTestsPassed': false,
        'autoMerge.allowDeletes': true,
        'autoMerge.allowBinary': true,
      }),
    );
    assert.deepEqual(c, {
      enabled: true,
      paths: ['docs/**', 'test/**'],
      maxChangedLines: 0,
      requireTestsPassed: false,
      modes: ['explore'],
      allowDeletes: true,
      allowBinary: true,
    });
  });

  it('broken values never widen auto-merge: enabled only when exactly true, bad limits fall back to the default', () => {
    const c = autoMergeCriteria(
      settings({
        'autoMerge.enabled': 'yes',
        'autoMerge.maxChangedLines': -5,
        'autoMerge.requireTestsPassed': 'no',
        'autoMerge.allowDeletes': 1,
      }),
    );
    assert.equal(c.enabled, false);
    assert.equal(c.maxChangedLines, 20);
    assert.equal(c.requireTestsPassed, true);
    assert.equal(c.allowDeletes, false);
  });

  it('pool settings map to template names; unset or broken values are left out, too large is capped', () => {
    assert.deepEqual(poolSizes(settings()), { 'code-executor': 2, 'ai-provider': 1, 'policy-sandbox': 1, 'integration-test': 0 });
    assert.deepEqual(
      poolSizes(settings({ 'pool.codeExecutor': 40, 'pool.aiProvider': undefined, 'pool.policySandbox': -1, 'pool.integrationTest': 1.5 })),
      { 'code-executor': 32 },
    );
    assert.equal(sandboxMethods['sandbox/pools'][0].safeParse({ sizes: poolSizes(settings()) }).success, true);
  });
});
