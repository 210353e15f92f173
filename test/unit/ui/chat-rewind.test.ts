// Rewind in the chat (extension) and in `airlock chat` (/rewind): the kernel is asked first; refused, nothing changes.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { AirlockError } from '../../../protocol/src/errors';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import type { TaskRewindParams, TaskRewindResult } from '../../../protocol/src/methods/agent';
import { addUserMessage, applyTaskEvent, conversation, newSession, taskStarted } from '../../../extension/src/chat/sessionModel';
import { rewindSession } from '../../../extension/src/chat/rewind';
import { rewindChat, type ChatTurn } from '../../../cli/src/chat/rewind';
import type { CliIO } from '../../../cli/src/command';

/** A kernel that answers task/rewind (or refuses it), recording what it was asked. */
function kernel(answer: (p: TaskRewindParams) => TaskRewindResult) {
  const asked: TaskRewindParams[] = [];
  const client = {
    request: async (m: string, p: TaskRewindParams) => {
      assert.equal(m, 'task/rewind');
      asked.push(p);
      return answer(p);
    },
  };
  return { asked, client: client as unknown as RpcClient };
}

function threeTurns() {
  const s = newSession('s1', 'strict', 0);
  for (const [i, text] of ['write mean()', 'now test it', 'rename it'].entries()) {
    addUserMessage(s, text, i);
    taskStarted(s, `task_${i + 1}`);
    applyTaskEvent(s, `task_${i + 1}`, { type: 'text-delta', text: `answer ${i + 1}` }, i);
    applyTaskEvent(s, `task_${i + 1}`, { type: 'finished', status: 'completed', message: 'ok' }, i);
  }
  return s;
}

describe('chat rewind (extension)', () => {
  it('asks the kernel to withdraw the later turns, then cuts the transcript and hands the message back', async () => {
    const s = threeTurns();
    const second = s.items.find((x) => x.type === 'user' && x.text === 'now test it')!;
    assert.equal(second.type === 'user' && second.taskId, 'task_2', 'the message knows the task it started');
    const k = kernel((p) => ({
      turns: p.tasks.map((taskId, i) => ({ taskId, setId: `ps_set${i}x`, outcome: i ? 'merged' : 'withdrawn' })),
    }));
    await rewindSession(s, second.id, async () => k.client);
    assert.deepEqual(
      k.asked.map((p) => p.tasks),
      [['task_2', 'task_3']],
    );
    assert.deepEqual(conversation(s), [
      { role: 'user', text: 'write mean()' },
      { role: 'assistant', text: 'answer 1' },
    ]);
    assert.equal(s.draft, 'now test it');
    assert.equal(s.taskId, null);
    const last = s.items[s.items.length - 1]!;
    assert.ok(last.type === 'notice' && last.level === 'warn', JSON.stringify(last));
    assert.match(last.type === 'notice' ? last.text : '', /2 messages .*1 patch set withdrawn.*Nothing in the workspace moved.*ps_set1x/);
  });

  it('changes nothing when the kernel refuses (a task still running there, no audit log)', async () => {
    const s = threeTurns();
    const before = JSON.stringify(s);
    const first = s.items.find((x) => x.type === 'user')!;
    const k = kernel(() => {
      throw new AirlockError('TASK_REWIND_RUNNING', 'still running');
    });
    await assert.rejects(
      rewindSession(s, first.id, async () => k.client),
      /still running/,
    );
    assert.equal(JSON.stringify(s), before);
  });

  it('refuses while this session runs a task, and for an item that is not a message of the person', async () => {
    const s = threeTurns();
    const k = kernel(() => ({ turns: [] }));
    const answer = s.items.find((x) => x.type === 'assistant')!;
    await assert.rejects(
      rewindSession(s, answer.id, async () => k.client),
      (e: AirlockError) => e.code === 'CHAT_NO_MESSAGE',
    );
    addUserMessage(s, 'more', 9);
    taskStarted(s, 'task_4');
    await assert.rejects(
      rewindSession(s, s.items[0]!.id, async () => k.client),
      (e: AirlockError) => e.code === 'CHAT_BUSY',
    );
    assert.equal(k.asked.length, 0);
  });
});

describe('airlock chat /rewind', () => {
  const io = () => {
    const out: string[] = [];
    return { out, io: { out: (l: string) => out.push(l), err: (l: string) => out.push(`ERR ${l}`) } as unknown as CliIO };
  };
  const turns = (): ChatTurn[] => [1, 2, 3].map((i) => ({ user: `prompt ${i}`, agent: `answer ${i}`, taskId: `task_${i}` }));

  it('lists the turns, keeps 1..N after the kernel withdrew the rest, and says what stays merged', async () => {
    const t = turns();
    const o = io();
    const k = kernel((p) => ({
      turns: p.tasks.map((taskId) => ({
        taskId,
        setId: `ps_${taskId.slice(5)}abcd`,
        outcome: taskId === 'task_3' ? 'merged' : 'withdrawn',
      })),
    }));
    await rewindChat(k.client, o.io, t, undefined, false);
    assert.match(o.out.join('\n'), /1\. prompt 1 {2}\(task_1\)\n {2}2\. prompt 2/);
    await rewindChat(k.client, o.io, t, '1', false);
    assert.deepEqual(
      k.asked.map((p) => p.tasks),
      [['task_2', 'task_3']],
    );
    assert.deepEqual(
      t.map((x) => x.taskId),
      ['task_1'],
    );
    assert.match(o.out.join('\n'), /withdrawn from review: ps_2abcd;.*\n.*still in the workspace: ps_3abcd/);
  });

  it('refuses a bad N or a running task without asking the kernel or dropping turns', async () => {
    const t = turns();
    const k = kernel(() => ({ turns: [] }));
    await assert.rejects(rewindChat(k.client, io().io, t, '4', false), (e: AirlockError) => e.code === 'CLI_USAGE');
    await assert.rejects(rewindChat(k.client, io().io, t, 'x', false), (e: AirlockError) => e.code === 'CLI_USAGE');
    await assert.rejects(rewindChat(k.client, io().io, t, '0', true), (e: AirlockError) => e.code === 'CHAT_BUSY');
    assert.equal(k.asked.length, 0);
    assert.equal(t.length, 3);
  });
});
