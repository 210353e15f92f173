// The views' kernel calls go through the typed client: results as validated, kernel errors with their code and hint.
import * as assert from 'node:assert/strict';
import { AirlockError, ErrorCodes } from '../../../protocol/src/errors';
import { ApprovalDecision } from '../../../protocol/src/methods/agent';
import { methods } from '../../../protocol/src/methods';
import { RpcClient } from '../../../protocol/src/rpc-client';
import { type HandlerMap, ServerConnection } from '../../../protocol/src/rpc-server';
import { createInProcessPair } from '../../../protocol/src/transport';
import { ApprovalAnswer } from '../../../protocol/src/webview';
import { ANSWER_DECISION, approvalChoices } from '../../../extension/src/chat/approvals';
import { ReviewClient } from '../../../extension/src/review/reviewClient';
import { viewErrorText } from '../../../extension/src/viewError';

async function kernelWith(handlers: HandlerMap): Promise<{ client: () => Promise<RpcClient> }> {
  const [c, s] = createInProcessPair();
  new ServerConnection(s, { handlers, kernel: { version: 'test', pid: 1, startedAt: 0 } });
  const client = new RpcClient(c);
  await client.handshake({ name: 'test', version: '1' });
  return { client: async () => client };
}

async function rejection(p: Promise<unknown>): Promise<AirlockError> {
  try {
    await p;
  } catch (err) {
    return AirlockError.from(err);
  }
  assert.fail('expected a rejection');
}

const summary = {
  id: 'ps_abcd',
  createdAt: 1,
  status: 'pending',
  source: 'overlay',
  files: 1,
  added: 2,
  removed: 0,
  blocked: 0,
  testsPassed: null,
  pendingHunks: 1,
} as const;

describe('ReviewClient (typed review/* calls)', () => {
  it('returns what the kernel answers, after the client validated it', async () => {
    let asked: unknown;
    const review = new ReviewClient(
      await kernelWith({
        'review/list': (p) => {
          asked = p;
          return { sets: [summary] };
        },
      }),
    );
    assert.deepEqual(await review.list(), [summary]);
    assert.deepEqual(asked, { status: 'pending' });
  });

  it('shows a method the kernel lacks as the kernel says it, not as "not available in this kernel"', async () => {
    const review = new ReviewClient(await kernelWith({}));
    const e = await rejection(review.plan('ps_abcd'));
    assert.equal(e.code, ErrorCodes.UnknownMethod);
    assert.match(e.message, /unknown method "review\/plan"/);
    assert.match(e.hint ?? '', /versions may differ/);
    assert.equal(viewErrorText(e), 'unknown method "review/plan" (RPC_UNKNOWN_METHOD) — the client and kernel versions may differ');
  });

  it("keeps a kernel error's code and hint, and rejects a reply that does not match the method's schema", async () => {
    const review = new ReviewClient(
      await kernelWith({
        'review/show': () => {
          throw new AirlockError('PATCH_NOT_FOUND', 'no patch set ps_gone', 'it may have been merged');
        },
        'review/list': () => ({ sets: [{ id: 'not-a-set' }] }) as never,
      }),
    );
    const e = await rejection(review.show('ps_gone'));
    assert.deepEqual([e.code, e.message, e.hint], ['PATCH_NOT_FOUND', 'no patch set ps_gone', 'it may have been merged']);
    assert.equal((await rejection(review.list())).code, ErrorCodes.BadResult);
  });

  it('asks the scheduler for task titles only when a set names a task not seen yet (a refresh per decision)', async () => {
    let asked = 0;
    const task = (id: string, title: string) => ({
      id,
      title,
      priority: 10,
      state: 'done' as const,
      deps: [],
      resources: {},
      deadline: null,
      preemption: 'pause' as const,
      submittedAt: 1,
      startedAt: 1,
      finishedAt: 2,
      pausedBy: null,
      reason: null,
    });
    const tasks = [task('t1', 'add a mean function')];
    const review = new ReviewClient(
      await kernelWith({
        'tasks/list': () => {
          asked++;
          return { tasks: [...tasks], limits: {}, inUse: {} };
        },
      }),
    );
    assert.equal((await review.taskTitles(['t1'])).get('t1'), 'add a mean function');
    assert.equal((await review.taskTitles(['t1'])).get('t1'), 'add a mean function');
    assert.equal((await review.taskTitles([])).size, 1);
    assert.equal(asked, 1, 'titles never change: known tasks are not asked for again');
    tasks.push(task('t2', 'fix the parser'));
    assert.equal((await review.taskTitles(['t1', 't2'])).get('t2'), 'fix the parser');
    assert.equal(asked, 2, 'a new task is asked for');
  });

  it('without a kernel says it needs a folder', async () => {
    assert.equal((await rejection(new ReviewClient(undefined).list())).code, 'REVIEW_UNAVAILABLE');
  });
});

describe('approval answers', () => {
  it("map every answer onto the protocol's ApprovalDecision enum, which task/approve validates with", () => {
    assert.equal(methods['task/approve'][0].shape.decision, ApprovalDecision);
    for (const answer of ApprovalAnswer.options) {
      const params = { taskId: 'task_1', requestId: 'r1', decision: ANSWER_DECISION[answer] };
      assert.ok(methods['task/approve'][0].safeParse(params).success, answer);
    }
    assert.deepEqual(ANSWER_DECISION, { 'allow-once': 'allow', 'allow-session': 'allow-session', deny: 'deny' });
    assert.equal(methods['task/approve'][0].safeParse({ taskId: 'task_1', requestId: 'r1', decision: 'allow-forever' }).success, false);
  });

  it('are all offered, since each maps to a decision the kernel accepts', () => {
    assert.deepEqual(approvalChoices(), { allowOnce: true, allowSession: true, deny: true });
  });
});

describe('viewErrorText', () => {
  it('gives message, code and hint on one line; no hint, no dash', () => {
    assert.equal(
      viewErrorText(new AirlockError('RPC_TIMEOUT', 'tasks/list timed out after 15000 ms', 'the kernel may be stuck')),
      'tasks/list timed out after 15000 ms (RPC_TIMEOUT) — the kernel may be stuck',
    );
    assert.equal(viewErrorText(new AirlockError('X', 'plain')), 'plain (X)');
  });
});
