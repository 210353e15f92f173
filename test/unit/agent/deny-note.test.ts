// The reason a person types when denying an approval: it reaches the model as the call's result and the audit log.
import { strict as assert } from 'node:assert';
import { z } from 'zod';
import type { ToolCall } from '../../../protocol/src/agent';
import type { ApprovalAnswer, IAudit } from '../../../kernel/src/agent/interfaces';
import { modelInfo } from '../../../kernel/src/agent/models';
import { runToolCall, toResult, type PipelineOptions } from '../../../kernel/src/agent/pipeline';
import { Sanitiser } from '../../../kernel/src/agent/sanitise';
import { counterFor } from '../../../kernel/src/agent/tokens';
import { defineTool } from '../../../kernel/src/agent/tools/types';
import { approve } from '../../../kernel/src/handlers/task/approve';
import type { AuditInput } from '../../../protocol/src/audit';

const SECRET = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX123';

async function denied(answer: ApprovalAnswer) {
  const records: Array<{ kind: string; payload: Record<string, unknown> }> = [];
  const audit: IAudit = {
    append: (e) => {
      records.push({ kind: e.kind, payload: e.payload });
    },
  };
  let ran = false;
  const tool = defineTool({
    name: 'fs.write',
    native: false,
    capabilities: ['write'],
    description: 'w',
    input: z.object({}),
    run: async () => {
      ran = true;
      return { content: 'written' };
    },
  });
  const o: PipelineOptions = {
    policy: { evaluate: () => ({ decision: 'ask', matched: 'rule:ask', reason: 'writes are asked' }) },
    audit,
    sanitiser: new Sanitiser(),
    counter: counterFor(modelInfo('gpt-4o')),
    approve: async () => answer,
  };
  const call: ToolCall = { id: 'c1', name: 'fs.write', arguments: '{}' };
  const c = {
    call,
    ctx: { workspace: '/nonexistent', taskId: 'task_n' },
    signal: new AbortController().signal,
    started: performance.now(),
  };
  const outcome = await runToolCall(o, new Map([['fs.write', tool]]), c);
  return { outcome, result: toResult(o, c, outcome), records, ran };
}

describe('deny reason (task/approve note)', () => {
  it('the model gets the reason as the result of the declined call, secrets redacted', async () => {
    const { outcome, result, ran } = await denied({ answer: 'deny', note: `  use node:test, not jest (token ${SECRET})  ` });
    assert.equal(outcome.type, 'denied');
    assert.equal(ran, false);
    assert.equal(result.ok, false);
    assert.match(result.content, /the person declined fs\.write: "use node:test, not jest \(token \[REDACTED:openai-key\]\)"/);
    assert.ok(!result.content.includes(SECRET));
  });

  it('the audit entry of the answer keeps the reason', async () => {
    const { records } = await denied({ answer: 'deny', note: 'wrong file' });
    const answer = records.find((r) => r.kind === 'tool.approval');
    assert.deepEqual([answer?.payload.answer, answer?.payload.note], ['deny', 'wrong file']);
  });

  it('a deny without a reason (or a blank one) reads as before and records no note', async () => {
    for (const a of ['deny', { answer: 'deny', note: '   ' }] as ApprovalAnswer[]) {
      const { result, records } = await denied(a);
      assert.match(result.content, /the person declined fs\.write\nhint:/);
      assert.equal('note' in records.find((r) => r.kind === 'tool.approval')!.payload, false);
    }
  });

  it('an allow with a note still runs the tool', async () => {
    const { outcome, ran } = await denied({ answer: 'allow', note: 'fine' });
    assert.equal(outcome.type, 'ran');
    assert.equal(ran, true);
  });

  it('task/approve records the note and hands it to the task', async () => {
    const entries: AuditInput[] = [];
    const got: unknown[][] = [];
    const writer = {
      append: async (e: AuditInput) => {
        entries.push(e);
        return { seq: 1 };
      },
    };
    const h = approve({
      audit: { writer } as never,
      tasks: {
        approve: async (...a: unknown[]) => {
          got.push(a);
          return true;
        },
      },
    });
    const r = await h({ taskId: 'task_1', requestId: 'appr_1', decision: 'deny', note: 'tests first' }, {} as never);
    assert.deepEqual(r, { accepted: true });
    assert.deepEqual(got, [['task_1', 'appr_1', 'deny', 'tests first']]);
    assert.equal((entries[0].payload as { note?: string }).note, 'tests first');
  });
});
