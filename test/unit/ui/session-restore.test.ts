// Chat sessions across a reload (open approvals expire, streaming ends) and the task/start request built from settings.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'mocha';
import type * as vscode from 'vscode';
import { addPatchSet, addUserMessage, applyTaskEvent, newSession, taskStarted } from '../../../extension/src/chat/sessionModel';
import { SessionStore } from '../../../extension/src/chat/sessionStore';
import { taskStartParams } from '../../../extension/src/taskParams';
import { ChatItem } from '../../../protocol/src/webview';

/** VS Code's Memento contract over a Map that round-trips through JSON, as workspace storage does. */
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

const call = { id: 'c1', name: 'exec', arguments: '{"argv":["sh","-c","node --test"]}' };

describe("chat sessions written to the extension's storage folder", () => {
  it("are on disk once the turn of an urgent save is over (VS Code's storage may not have them yet), and load from there", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-chat-store-'));
    try {
      const s = newSession('s1', 'explore', 0);
      addUserMessage(s, 'fix median', 1);
      taskStarted(s, 'task_a');
      applyTaskEvent(s, 'task_a', { type: 'finished', status: 'cancelled', message: 'Task cancelled.' }, 2);
      // A memento that never gets the update: a web window reloaded before VS Code flushed its storage.
      const lost: vscode.Memento = { keys: () => [], get: () => undefined, update: () => new Promise<void>(() => undefined) };
      new SessionStore(lost, dir).save(() => ({ currentId: 's1', sessions: [s] }), 0);
      await new Promise((r) => setImmediate(r));
      const loaded = new SessionStore(lost, dir).load();
      assert.equal(loaded.currentId, 's1');
      assert.equal(loaded.sessions[0]!.running, false);
      assert.ok(
        loaded.sessions[0]!.items.some((i) => i.type === 'notice' && /cancelled/.test(i.text)),
        'the ending is kept',
      );
      // A damaged file falls back to VS Code's copy.
      fs.writeFileSync(path.join(dir, 'chat-sessions.json'), '{not json');
      const memento = new JsonMemento();
      void memento.update('airlock.chat.sessions.v1', { currentId: 'm', sessions: [] });
      assert.equal(new SessionStore(memento, dir).load().currentId, 'm');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('chat sessions across a reload', () => {
  it('restores transcripts; open approvals come back expired and streaming text finished', async () => {
    const s = newSession('s1', 'debug', 0);
    addUserMessage(s, 'fix median', 1);
    taskStarted(s, 'task_a');
    applyTaskEvent(s, 'task_a', { type: 'text-delta', text: 'Running the tests' }, 2);
    applyTaskEvent(s, 'task_a', { type: 'approval-request', requestId: 'r1', call, reason: 'any other command runs after approval' }, 3);
    addPatchSet(s, { setId: 'ps_abcd1234', files: 1, added: 2, removed: 2 });
    const memento = new JsonMemento();
    const store = new SessionStore(memento);
    await store.flush({ currentId: 's1', sessions: [s] });

    const loaded = new SessionStore(memento).load();
    assert.equal(loaded.currentId, 's1');
    const r = loaded.sessions[0]!;
    assert.equal(r.running, false);
    assert.equal(r.taskId, 'task_a');
    const approval = r.items.find((i) => i.type === 'approval');
    assert.equal(approval?.type === 'approval' && approval.state, 'expired', 'nobody can answer it after a reload');
    const assistant = r.items.find((i) => i.type === 'assistant');
    assert.equal(assistant?.type === 'assistant' && assistant.streaming, false);
    // Every restored item is still a valid webview message item (the webview validates what it renders).
    for (const item of r.items) assert.equal(ChatItem.safeParse(item).success, true, JSON.stringify(item));
    const card = r.items.find((i) => i.type === 'patchset');
    assert.deepEqual(card?.type === 'patchset' && [card.setId, card.blocked, card.autoMerge], ['ps_abcd1234', 0, false]);
  });

  it('an answered approval stays answered', async () => {
    const s = newSession('s2', 'strict', 0);
    taskStarted(s, 'task_b');
    applyTaskEvent(s, 'task_b', { type: 'approval-request', requestId: 'r2', call, reason: 'x' }, 1);
    applyTaskEvent(s, 'task_b', { type: 'finished', status: 'cancelled', message: 'Task cancelled.' }, 2);
    const memento = new JsonMemento();
    await new SessionStore(memento).flush({ currentId: 's2', sessions: [s] });
    const items = new SessionStore(memento).load().sessions[0]!.items;
    assert.deepEqual(
      items.filter((i) => i.type === 'notice').map((i) => i.type === 'notice' && i.text),
      ['Task cancelled.'],
    );
    assert.equal(
      items.find((i) => i.type === 'approval')?.type === 'approval' &&
        (items.find((i) => i.type === 'approval') as { state: string }).state,
      'expired',
    );
  });

  it('an urgent save waits for the end of the turn: what the turn sends goes first, and a burst is written once', async () => {
    let writes = 0;
    const memento = new JsonMemento();
    const counting: vscode.Memento = {
      keys: () => memento.keys(),
      get: (k: string, f?: unknown) => memento.get(k, f),
      update: (k: string, v: unknown) => {
        writes++;
        return memento.update(k, v);
      },
    } as vscode.Memento;
    const store = new SessionStore(counting);
    const s = newSession('s4', 'strict', 0);
    store.save(() => ({ currentId: 's4', sessions: [s] }), 0); // the person's message, before the Send's task/start
    assert.equal(writes, 0, 'nothing written while the Send is still on its way out');
    taskStarted(s, 'task_c');
    store.save(() => ({ currentId: 's4', sessions: [s] }), 0);
    store.save(() => ({ currentId: 's4', sessions: [s] }), 500); // a debounced one after it adds no write of its own
    await new Promise((r) => setImmediate(r));
    assert.equal(writes, 1);
    assert.equal(new SessionStore(memento).load().sessions[0]!.taskId, 'task_c', 'the newest state was written');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(writes, 1);
    // One still waiting when the store goes (the window closes) is written then, not dropped.
    addUserMessage(s, 'last words', 2);
    store.save(() => ({ currentId: 's4', sessions: [s] }), 0);
    store.dispose();
    assert.equal(writes, 2);
    const kept = new SessionStore(memento).load().sessions[0]!.items;
    assert.ok(
      kept.some((i) => i.type === 'user' && i.text === 'last words'),
      JSON.stringify(kept),
    );
  });

  it('an urgent save replaces a pending debounced one and writes the newest state at once', async () => {
    const memento = new JsonMemento();
    const store = new SessionStore(memento);
    const s = newSession('s3', 'strict', 0);
    store.save(() => ({ currentId: 's3', sessions: [s] }), 10_000);
    addUserMessage(s, 'later', 1);
    store.save(() => ({ currentId: 's3', sessions: [s] }), 0);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(new SessionStore(memento).load().sessions[0]!.items.length, 1);
    store.dispose();
  });
});

describe('task/start from settings', () => {
  it('sends the replay file only for the replay provider (or no provider) and the base URL only for openai-compatible', () => {
    const base = { mode: 'strict' as const, replayFile: 'demo.jsonl', baseUrl: 'http://127.0.0.1:11434/v1' };
    assert.deepEqual(taskStartParams('p', 'debug', { ...base, provider: 'replay' }), {
      prompt: 'p',
      mode: 'debug',
      provider: 'replay',
      model: undefined,
      baseUrl: undefined,
      budgets: undefined,
      replay: 'demo.jsonl',
    });
    assert.equal(taskStartParams('p', 'debug', { ...base }).replay, 'demo.jsonl');
    const anthropic = taskStartParams('p', 'explore', { ...base, provider: 'anthropic', model: 'claude-sonnet-4-0' });
    assert.equal(anthropic.replay, undefined);
    assert.equal(anthropic.baseUrl, undefined, 'a vendor key is never sent to another base URL');
    assert.equal(taskStartParams('p', 'explore', { ...base, provider: 'openai-compatible' }).baseUrl, 'http://127.0.0.1:11434/v1');
  });
});
