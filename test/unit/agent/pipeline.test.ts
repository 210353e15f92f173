// The tool-call pipeline's stage order: gate -> policy -> record -> execute -> sanitise -> after -> record -> event,
// and where each refusal (workflow, policy, person, audit log) stops it.
import { strict as assert } from 'node:assert';
import { z } from 'zod';
import type { StreamEvent, TaskEvent, ToolCall } from '../../../protocol/src/agent';
import { AirlockError } from '../../../protocol/src/errors';
import type { GateVerdict, IAudit, IPolicy, IToolGate, PolicyVerdict } from '../../../kernel/src/agent/interfaces';
import { runAgentTask } from '../../../kernel/src/agent/loop';
import { modelInfo } from '../../../kernel/src/agent/models';
import { runToolCall, toResult, type PipelineOptions } from '../../../kernel/src/agent/pipeline';
import { ReplayProvider } from '../../../kernel/src/agent/providers/replay';
import { ToolRouter } from '../../../kernel/src/agent/router';
import { Sanitiser, type Sanitised } from '../../../kernel/src/agent/sanitise';
import { counterFor } from '../../../kernel/src/agent/tokens';
import { defineTool, type ToolSpec } from '../../../kernel/src/agent/tools/types';

const SECRET = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX123';

/** Every stage leaves a mark in `trace`; `failOn` makes the audit log throw for that entry kind. */
function harness(o: { verdict?: PolicyVerdict; gate?: GateVerdict; answer?: 'allow' | 'deny'; failOn?: string } = {}) {
  const trace: string[] = [];
  const records: Array<{ kind: string; payload: Record<string, unknown>; sync: boolean }> = [];
  const policy: IPolicy = {
    evaluate: () => {
      trace.push('policy');
      return { decision: o.verdict ?? 'allow', matched: 'rule:spy', reason: 'spy rule' };
    },
  };
  const audit: IAudit = {
    append: (e, { sync }) => {
      if (e.kind === o.failOn) throw new Error('disk full');
      records.push({ kind: e.kind, payload: e.payload, sync });
      trace.push(`record:${e.kind}`);
    },
  };
  // Only the tool's own output counts as the sanitise stage (error texts and audit payloads are sanitised too).
  const sanitiser = new (class extends Sanitiser {
    override sanitise(input: string): Sanitised {
      if (input.includes('TOOL-OUTPUT')) trace.push('sanitise');
      return super.sanitise(input);
    }
  })();
  const gate: IToolGate = {
    before: async () => {
      trace.push('gate');
      return o.gate ?? { type: 'pass' };
    },
    after: async () => {
      trace.push('after');
      return 'NOTE';
    },
  };
  const spy: ToolSpec = defineTool({
    name: 'spy',
    native: false,
    capabilities: ['exec'],
    description: 'spy',
    input: z.object({}),
    run: async () => {
      trace.push('execute');
      return { content: `TOOL-OUTPUT ${SECRET}` };
    },
  });
  const events: TaskEvent[] = [];
  const opts: PipelineOptions = {
    policy,
    audit,
    sanitiser,
    gate,
    counter: counterFor(modelInfo('gpt-4o')),
    approve:
      o.answer &&
      (async () => {
        trace.push('approve');
        return o.answer!;
      }),
    onEvent: (e) => {
      events.push(e);
      trace.push(`event:${e.type}`);
    },
  };
  const call: ToolCall = { id: 'c1', name: 'spy', arguments: '{}' };
  const run = () => {
    const c = {
      call,
      ctx: { workspace: '/nonexistent', taskId: 'task_p' },
      signal: new AbortController().signal,
      started: performance.now(),
    };
    return runToolCall(opts, new Map([['spy', spy]]), c).then((outcome) => ({ outcome, result: toResult(opts, c, outcome) }));
  };
  return { trace, records, events, opts, spy, run };
}

describe('tool-call pipeline', () => {
  it('deny: the decision is recorded once and nothing runs, is sanitised or is recorded as a result', async () => {
    const h = harness({ verdict: 'deny' });
    const { outcome, result } = await h.run();
    assert.equal(outcome.type, 'denied');
    assert.deepEqual(h.trace, ['gate', 'policy', 'record:tool.decision']);
    assert.deepEqual(
      h.records.map((r) => [r.kind, r.payload.decision, r.sync]),
      [['tool.decision', 'deny', true]],
    );
    assert.equal(result.ok, false);
    assert.equal(result.error?.code, 'POLICY_DENIED');
  });

  it('allow: record before execute, sanitise before the result record, and the tool-result event last', async () => {
    const h = harness();
    const turns = [
      {
        turn: 1,
        events: [
          { type: 'tool-call-end', index: 0, id: 'c1', name: 'spy', arguments: '{}' },
          { type: 'finish', reason: 'tool-calls' },
        ] as StreamEvent[],
      },
      {
        turn: 2,
        events: [
          { type: 'text-delta', text: 'done' },
          { type: 'finish', reason: 'stop' },
        ] as StreamEvent[],
      },
    ];
    const info = modelInfo('gpt-4o');
    const router = new ToolRouter([h.spy], h.opts);
    const r = await runAgentTask({
      prompt: 'go',
      model: 'gpt-4o',
      modelInfo: info,
      provider: new ReplayProvider(turns),
      router,
      counter: counterFor(info),
      routeContext: { workspace: '/nonexistent', taskId: 'task_p' },
      signal: new AbortController().signal,
      onEvent: h.opts.onEvent!,
    });
    assert.equal(r.status, 'completed');
    const stages = h.trace.filter((s) => !s.startsWith('event:') || s === 'event:tool-call' || s === 'event:tool-result');
    assert.deepEqual(stages, [
      'event:tool-call',
      'gate',
      'policy',
      'record:tool.decision',
      'execute',
      'sanitise',
      'after',
      'record:tool.result',
      'event:tool-result',
    ]);
    assert.deepEqual(
      h.records.map((x) => [x.kind, x.sync]),
      [
        ['tool.decision', true],
        ['tool.result', false],
      ],
    );
    const result = h.events.find((e): e is Extract<TaskEvent, { type: 'tool-result' }> => e.type === 'tool-result')!.result;
    assert.equal(result.content, 'TOOL-OUTPUT [REDACTED:openai-key]\nNOTE');
    assert.equal(h.records[1].payload.bytes, result.content.length, 'the result record describes what the model got');
  });

  it('an audit log that cannot record the decision stops the call before it runs (fail closed)', async () => {
    const h = harness({ failOn: 'tool.decision' });
    const { outcome, result } = await h.run();
    assert.equal(outcome.type, 'unrecorded');
    assert.deepEqual(h.trace, ['gate', 'policy']);
    assert.equal(result.error?.code, 'AUDIT_UNAVAILABLE');
    assert.match(result.content, /audit log could not record the decision \(disk full\)/);
  });

  it('a workflow refusal stops the call before the policy is asked', async () => {
    const h = harness({ gate: { type: 'refuse', error: new AirlockError('WORKFLOW_EDIT_REFUSED', 'not yet') } });
    const { outcome, result } = await h.run();
    assert.equal(outcome.type, 'refused');
    assert.deepEqual(h.trace, ['gate']);
    assert.equal(result.error?.code, 'WORKFLOW_EDIT_REFUSED');
  });

  it('a workflow tool skips the policy but its allow is recorded before it runs', async () => {
    const h = harness({ verdict: 'deny', gate: { type: 'kernel', reason: 'the session decides' } });
    const { outcome } = await h.run();
    assert.equal(outcome.type, 'ran');
    assert.deepEqual(h.trace.slice(0, 3), ['gate', 'record:tool.decision', 'execute']);
    assert.deepEqual([h.records[0].payload.matched, h.records[0].payload.decision], ['workflow', 'allow']);
  });

  it('ask: the request event, the answer and its record all come before the tool runs; a decline stops it', async () => {
    const yes = harness({ verdict: 'ask', answer: 'allow' });
    assert.equal((await yes.run()).outcome.type, 'ran');
    assert.deepEqual(yes.trace.slice(0, 6), [
      'gate',
      'policy',
      'record:tool.decision',
      'event:approval-request',
      'approve',
      'record:tool.approval',
    ]);
    assert.equal(yes.trace[6], 'execute');
    const no = harness({ verdict: 'ask', answer: 'deny' });
    assert.equal((await no.run()).outcome.type, 'denied');
    assert.ok(!no.trace.includes('execute'));
    assert.equal(no.records.at(-1)?.payload.answer, 'deny');
  });

  it('an answer the audit log cannot record is not acted on (a typed stop, not a thrown error)', async () => {
    const h = harness({ verdict: 'ask', answer: 'allow', failOn: 'tool.approval' });
    const { outcome, result } = await h.run();
    assert.equal(outcome.type, 'unrecorded');
    assert.ok(!h.trace.includes('execute'));
    assert.match(result.content, /could not record the person's answer \(disk full\)/);
  });

  it('a result the audit log cannot take still reaches the model, and no rejection escapes unhandled', async () => {
    const unhandled: unknown[] = [];
    const listener = (e: unknown) => unhandled.push(e);
    const mocha = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', listener);
    try {
      const h = harness({ failOn: 'tool.result' });
      const { outcome, result } = await h.run();
      assert.equal(outcome.type, 'ran');
      assert.equal(result.ok, true);
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(unhandled, []);
    } finally {
      process.removeListener('unhandledRejection', listener);
      for (const l of mocha) process.on('unhandledRejection', l);
    }
  });
});
