// Record, then act, for kernel-native reads: the read runs while its allow decision commits, but its result leaves the
// pipeline only after the commit; a decision that cannot be recorded drops the read. Anything else waits for the record.
import { strict as assert } from 'node:assert';
import { z } from 'zod';
import type { ToolCall } from '../../../protocol/src/agent';
import type { IAudit, IPolicy, IToolGate, PolicyVerdict } from '../../../kernel/src/agent/interfaces';
import { modelInfo } from '../../../kernel/src/agent/models';
import { runToolCall, toResult, type PipelineOptions } from '../../../kernel/src/agent/pipeline';
import { Sanitiser } from '../../../kernel/src/agent/sanitise';
import { counterFor } from '../../../kernel/src/agent/tokens';
import { defineTool, type ToolSpec } from '../../../kernel/src/agent/tools/types';

/** An audit log whose synchronous appends stay open until the test commits (or fails) them. */
function heldAudit(trace: string[]) {
  const held: Array<{ kind: string; commit: () => void; fail: (e: Error) => void }> = [];
  const audit: IAudit = {
    append: (e, { sync }) => {
      trace.push(`append:${e.kind}`);
      if (!sync) return;
      return new Promise<void>((resolve, reject) => {
        held.push({
          kind: e.kind,
          commit: () => {
            trace.push(`durable:${e.kind}`);
            resolve();
          },
          fail: reject,
        });
      });
    },
  };
  return { audit, held };
}

function setup(o: { native: boolean; verdict?: PolicyVerdict; run?: () => Promise<{ content: string }> }) {
  const trace: string[] = [];
  const { audit, held } = heldAudit(trace);
  const policy: IPolicy = { evaluate: () => ({ decision: o.verdict ?? 'allow', matched: 'rule:t', reason: 'test rule' }) };
  const gate: IToolGate = {
    before: async () => ({ type: 'pass' }),
    after: async () => {
      trace.push('after');
      return undefined;
    },
  };
  const tool: ToolSpec = defineTool({
    name: 'read',
    native: o.native,
    capabilities: ['fs.read'],
    description: 'read',
    input: z.object({}),
    run:
      o.run ??
      (async () => {
        trace.push('execute');
        return { content: 'FILE-TEXT' };
      }),
  });
  const opts: PipelineOptions = { policy, audit, gate, sanitiser: new Sanitiser(), counter: counterFor(modelInfo('gpt-4o')) };
  const call: ToolCall = { id: 'c1', name: 'read', arguments: '{}' };
  const abort = new AbortController();
  const c = { call, ctx: { workspace: '/nonexistent', taskId: 'task_r' }, signal: abort.signal, started: performance.now() };
  let settled = false;
  const done = runToolCall(opts, new Map([['read', tool]]), c).then((outcome) => {
    settled = true;
    return { outcome, result: toResult(opts, c, outcome) };
  });
  return { trace, held, done, abort, isSettled: () => settled };
}

/** Lets every pending callback (setImmediate included) run. */
const drain = () => new Promise((r) => setTimeout(r, 20));

describe('tool-call pipeline: native reads while the decision commits', () => {
  it('a native read runs before its allow is durable, but its result waits for the commit', async () => {
    const s = setup({ native: true });
    await drain();
    assert.deepEqual(s.trace, ['append:tool.decision', 'execute']);
    assert.equal(s.isSettled(), false, 'no result before the decision is durable');
    s.held[0].commit();
    const { outcome, result } = await s.done;
    assert.equal(outcome.type, 'ran');
    assert.equal(result.content, 'FILE-TEXT');
    // The workflow hears of the call, and the result is recorded, only after the decision is durable.
    assert.deepEqual(s.trace, ['append:tool.decision', 'execute', 'durable:tool.decision', 'after', 'append:tool.result']);
  });

  it('a native read whose decision cannot be recorded returns nothing it read (fail closed)', async () => {
    const s = setup({ native: true });
    await drain();
    s.held[0].fail(new Error('disk full'));
    const { outcome, result } = await s.done;
    assert.equal(outcome.type, 'unrecorded');
    assert.equal(result.error?.code, 'AUDIT_UNAVAILABLE');
    assert.doesNotMatch(result.content, /FILE-TEXT/);
    assert.ok(!s.trace.includes('after') && !s.trace.includes('append:tool.result'));
  });

  it('a cancelled native read still waits for its decision record, then reports the cancellation', async () => {
    let stop!: (e: Error) => void;
    const s = setup({ native: true, run: () => new Promise((_, reject) => (stop = reject)) });
    await drain();
    const cancelled = new DOMException('stopped', 'AbortError');
    s.abort.abort(cancelled);
    stop(cancelled);
    await drain();
    assert.equal(s.isSettled(), false);
    s.held[0].commit();
    await assert.rejects(s.done, /stopped/);
  });

  it('a tool that is not a native read runs only after its decision is durable', async () => {
    const s = setup({ native: false });
    await drain();
    assert.deepEqual(s.trace, ['append:tool.decision']);
    s.held[0].commit();
    const { outcome } = await s.done;
    assert.equal(outcome.type, 'ran');
    assert.deepEqual(s.trace.slice(0, 3), ['append:tool.decision', 'durable:tool.decision', 'execute']);
  });

  it('a native read the policy only asks about waits for the record and the answer (no read ahead)', async () => {
    const s = setup({ native: true, verdict: 'ask' });
    await drain();
    assert.deepEqual(s.trace, ['append:tool.decision']);
    s.held[0].commit();
    const { outcome } = await s.done;
    assert.equal(outcome.type, 'denied', 'no approver: an ask is declined');
    assert.ok(!s.trace.includes('execute'));
  });

  it('a denied native read never runs', async () => {
    const s = setup({ native: true, verdict: 'deny' });
    await drain();
    s.held[0].commit();
    const { outcome } = await s.done;
    assert.equal(outcome.type, 'denied');
    assert.ok(!s.trace.includes('execute'));
  });
});
