// The plugin cold-start breakdown the plugins bench reads from the audit trail (bench/plugin-stages.ts).
import * as assert from 'node:assert/strict';
import { coldStages, type StageEntry } from '../../../bench/plugin-stages';

let seq = 0;
const e = (time: number, action: string, resource: string, payload?: unknown): StageEntry => ({
  seq: ++seq,
  time,
  action,
  resource,
  payload,
});

describe('plugin cold-start stages from the audit trail', () => {
  it("splits each start into its records, its own sandbox's creation and its process, ignoring other sandboxes", () => {
    const entries = [
      e(1000, 'plugin.discovered', 'plugin:hello'),
      e(1002, 'plugin.verified', 'plugin:hello'),
      e(1005, 'plugin.process.start', 'plugin:hello'),
      e(1006, 'sandbox.creating', 'sbx-pool'), // a warm pool refilling meanwhile
      e(1007, 'sandbox.creating', 'sbx-a'),
      e(1090, 'sandbox.ready', 'sbx-pool'),
      e(1120, 'sandbox.ready', 'sbx-a'),
      e(1250, 'plugin.ready', 'plugin:hello', { sandbox: 'sbx-a', tools: [] }),
      e(1260, 'plugin.stopped', 'plugin:hello'),
      e(2000, 'plugin.discovered', 'plugin:hello'),
      e(2004, 'plugin.process.start', 'plugin:hello'),
      e(2005, 'sandbox.creating', 'sbx-b'),
      e(2100, 'sandbox.ready', 'sbx-b'),
      e(2200, 'plugin.ready', 'plugin:hello', { sandbox: 'sbx-b' }),
      e(2300, 'plugin.discovered', 'plugin:other'),
    ];
    assert.deepEqual(coldStages(entries.reverse(), 'hello'), [
      { recordedMs: 5, sandboxMs: 113, processMs: 130, totalMs: 250 },
      { recordedMs: 4, sandboxMs: 95, processMs: 100, totalMs: 200 },
    ]);
  });

  it('skips a start that failed or whose sandbox entries are missing', () => {
    const entries = [
      e(1000, 'plugin.discovered', 'plugin:hello'),
      e(1001, 'plugin.process.start', 'plugin:hello'),
      e(1100, 'plugin.failed', 'plugin:hello'),
      e(2000, 'plugin.discovered', 'plugin:hello'),
      e(2001, 'plugin.process.start', 'plugin:hello'),
      e(2200, 'plugin.ready', 'plugin:hello', { sandbox: 'sbx-gone' }),
    ];
    assert.deepEqual(coldStages(entries, 'hello'), []);
  });
});
