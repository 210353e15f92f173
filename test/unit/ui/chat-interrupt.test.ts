// A task that will never report its end (kernel crash or restart, window reload): the session says so, Send works again.
import assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import {
  addUserMessage,
  applyTaskEvent,
  conversation,
  interruptTask,
  newSession,
  taskStarted,
} from '../../../extension/src/chat/sessionModel';
import { SessionStore } from '../../../extension/src/chat/sessionStore';

class JsonMemento implements vscode.Memento {
  private readonly data = new Map<string, string>();
  keys(): readonly string[] {
    return [...this.data.keys()];
  }
  get<T>(key: string, fallback?: T): T | undefined {
    const v = this.data.get(key);
    return v === undefined ? fallback : (JSON.parse(v) as T);
  }
  async update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, JSON.stringify(value));
  }
}

function running() {
  const s = newSession('s1', 'strict', 0);
  addUserMessage(s, 'run the tests', 1);
  taskStarted(s, 'task_a');
  applyTaskEvent(s, 'task_a', { type: 'text-delta', text: 'Running' }, 2);
  applyTaskEvent(
    s,
    'task_a',
    { type: 'approval-request', requestId: 'r1', call: { id: 'c1', name: 'exec', arguments: '{"argv":["node"]}' }, reason: 'asked' },
    3,
  );
  return s;
}

describe('chat: interrupted tasks', () => {
  it('a kernel that went away ends the running task with the reason; prompts expire, tool cards stop running', () => {
    const s = running();
    const ops = interruptTask(s, 'the kernel stopped and is restarting (exit 137)', 4);
    assert.equal(s.running, false);
    assert.deepEqual(ops.at(-1), { type: 'status', running: false, taskId: 'task_a' });
    const items = s.items;
    assert.equal(
      items.find((i) => i.type === 'approval')?.type === 'approval' && items.find((i) => i.type === 'approval')!.state,
      'expired',
    );
    assert.equal(
      items.find((i) => i.type === 'tool')?.type === 'tool' && (items.find((i) => i.type === 'tool') as { status: string }).status,
      'error',
    );
    const notice = [...items].reverse().find((i) => i.type === 'notice');
    assert.match(notice?.type === 'notice' ? notice.text : '', /^Task interrupted: the kernel stopped and is restarting \(exit 137\)\./);
    assert.deepEqual(interruptTask(s, 'again', 5), [], 'nothing runs any more');
  });

  it('a reload mid-task restores the session with the task marked interrupted', async () => {
    const store = new SessionStore(new JsonMemento());
    await store.flush({ currentId: 's1', sessions: [running()] });
    const [s] = store.load().sessions;
    assert.equal(s!.running, false);
    assert.ok(s!.items.some((i) => i.type === 'notice' && /^Task interrupted: the window reloaded/.test(i.text)));
  });

  it('the conversation for a follow-up: prompts and answers in order, not tool cards or notices', () => {
    const s = running();
    interruptTask(s, 'x', 4);
    assert.deepEqual(conversation(s), [
      { role: 'user', text: 'run the tests' },
      { role: 'assistant', text: 'Running' },
    ]);
  });
});
