// After a kernel restart: sessions the previous run left unfinished are marked failed with why, and what the previous
// run of the same kernel container made (sandboxes, scratch and output volumes) is swept, nothing else.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventBus } from '../../../kernel/src/event-bus';
import { BOOT_ID } from '../../../kernel/src/runtime/holder';
import { sweepPreviousRun } from '../../../kernel/src/runtime/restart-sweep';
import type { ContainerSummary, IContainerRuntime, VolumeSummary } from '../../../kernel/src/runtime/types';
import { INTERRUPTED_MESSAGE, SessionStore } from '../../../kernel/src/sessions/store';

describe('kernel restart: interrupted sessions', () => {
  it('marks a session left unfinished as failed, ends its transcript with why, and leaves finished ones alone', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-sessions-'));
    try {
      const bus = new EventBus();
      const first = new SessionStore(dir, bus);
      for (const id of ['task_a', 'task_b']) first.started({ taskId: id, prompt: 'p', provider: 'replay', model: 'm' });
      bus.emit('task/event', { taskId: 'task_a', seq: 0, event: { type: 'turn-start', turn: 1 } });
      bus.emit('task/event', { taskId: 'task_b', seq: 0, event: { type: 'finished', status: 'completed', message: 'done' } });
      assert.deepEqual(first.interrupted, []);
      first.dispose(); // as a SIGKILL would leave it: task_a never finished
      const second = new SessionStore(dir, new EventBus());
      assert.deepEqual(second.interrupted, ['task_a']);
      const a = second.get('task_a')!;
      assert.equal(a.status, 'failed');
      assert.equal(a.message, INTERRUPTED_MESSAGE);
      assert.ok(a.finishedAt);
      const events = second.events('task_a');
      assert.deepEqual(
        events.map((e) => [e.seq, e.event.type]),
        [
          [0, 'turn-start'],
          [1, 'finished'],
        ],
      );
      assert.equal(second.get('task_b')!.status, 'completed');
      second.dispose();
      assert.deepEqual(new SessionStore(dir, new EventBus()).interrupted, [], 'marked once');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kernel restart: sweep of the previous run', () => {
  const holder = 'container:airlock-kernel-abc';
  function fake(containers: ContainerSummary[], volumes: VolumeSummary[]) {
    const removed: string[] = [];
    const match = (labels: Record<string, string>, want: Record<string, string>) => Object.entries(want).every(([k, v]) => labels[k] === v);
    const rt = {
      listContainers: async (want: Record<string, string>) => containers.filter((c) => match(c.labels, want)),
      listVolumes: async (want: Record<string, string>) => volumes.filter((v) => match(v.labels, want)),
      remove: async (id: string) => void removed.push(id),
      removeVolume: async (name: string) => void removed.push(name),
    } as unknown as IContainerRuntime;
    return { rt, removed };
  }
  const c = (id: string, labels: Record<string, string>): ContainerSummary => ({ id, names: [id], labels }) as ContainerSummary;

  it("removes the same holder's sandboxes and volumes of another session or boot, keeps this run's and others'", async () => {
    const own = { 'airlock.owner': 'airlock', 'airlock.holder': holder };
    const { rt, removed } = fake(
      [
        c('old-sbx', { ...own, 'airlock.session': 's-old' }),
        c('new-sbx', { ...own, 'airlock.session': 's-new' }),
        c('other-kernel-sbx', { 'airlock.owner': 'airlock', 'airlock.holder': 'container:airlock-kernel-zzz', 'airlock.session': 's-old' }),
      ],
      [
        { name: 'old-scratch', labels: { ...own, 'airlock.session': 's-old' } },
        { name: 'new-scratch', labels: { ...own, 'airlock.session': 's-new' } },
        {
          name: 'airlock-out-task_old',
          labels: { 'airlock.output': 'task_old', 'airlock.holder': holder, 'airlock.boot': 'deadbeef0000' },
        },
        { name: 'airlock-out-task_new', labels: { 'airlock.output': 'task_new', 'airlock.holder': holder, 'airlock.boot': BOOT_ID } },
        {
          name: 'airlock-out-task_other',
          labels: { 'airlock.output': 'task_other', 'airlock.holder': 'container:airlock-kernel-zzz', 'airlock.boot': 'x' },
        },
      ],
    );
    const r = await sweepPreviousRun(rt, { holder, session: 's-new' });
    assert.deepEqual(r, { containers: ['old-sbx'], volumes: ['old-scratch', 'airlock-out-task_old'] });
    assert.deepEqual(removed, ['old-sbx', 'old-scratch', 'airlock-out-task_old']);
  });

  it('does nothing for a pid holder (unique per process already)', async () => {
    const { rt, removed } = fake([c('x', { 'airlock.owner': 'airlock', 'airlock.holder': 'pid:1:2:3', 'airlock.session': 's-old' })], []);
    await sweepPreviousRun(rt, { holder: 'pid:1:2:3', session: 's-new' });
    assert.deepEqual(removed, []);
  });
});
