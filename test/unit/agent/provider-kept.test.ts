// A conversation's provider worker kept between its turns (kernel/src/agent/provider-worker/kept.ts): only an idle,
// living worker of a task that ended on its own; unbound while kept; bound to the next turn of the same conversation
// only; destroyed when idle too long, evicted, dead or at shutdown. The real worker bundle as a child process.
import { strict as assert } from 'node:assert';
import { KEEP_IDLE_MS, KeptWorkers, TURN_MARGIN_MS } from '../../../kernel/src/agent/provider-worker/kept';
import { SpareWorker, startWorker } from '../../../kernel/src/agent/provider-worker/spare';
import { SandboxedProvider } from '../../../kernel/src/agent/providers/sandboxed';
import { chatTurn, startOpenAIFake } from '../../fakes/openai';
import type { FakeVendorServer } from '../../fakes/server';
import { FakeSandboxes, req, text, waitUntil } from './provider-sandboxes';

describe('kept provider workers (a conversation between its turns)', function () {
  this.timeout(60_000);
  let fake: FakeVendorServer;
  let sbs: FakeSandboxes;
  let kept: KeptWorkers;
  const providers: SandboxedProvider[] = [];
  const provider = (task: string, conversation?: string, spare?: SpareWorker) => {
    const p = new SandboxedProvider('openai', { sandboxes: sbs, task, exec: sbs.exec, kept, conversation: () => conversation, spare });
    providers.push(p);
    return p;
  };
  const turn = async (p: SandboxedProvider, answer: string) => {
    fake.enqueue(chatTurn({ text: [answer] }));
    assert.equal(await text(p.stream(req, new AbortController().signal)), answer);
  };
  beforeEach(async () => {
    fake = await startOpenAIFake();
    sbs = new FakeSandboxes(`${fake.url}/v1`);
    kept = new KeptWorkers(sbs);
  });
  afterEach(async () => {
    kept.dispose();
    await Promise.all(providers.splice(0).map((p) => p.dispose()));
    for (const p of sbs.procs.values()) p.kill();
    await fake.close();
  });

  it("serves the conversation's next turn from the worker its last turn kept, unbound in between", async () => {
    const a = provider('task_a');
    await turn(a, 'one');
    await a.dispose('conv1');
    assert.deepEqual(sbs.log, ['create sb1 task_a', 'exec sb1', 'unbind sb1 task_a'], 'kept, not destroyed');
    assert.equal(sbs.tasks.get('sb1'), undefined, 'no task holds it while kept (its requests get 503)');
    assert.equal(kept.size, 1);
    const b = provider('task_b', 'conv1');
    await turn(b, 'two');
    assert.deepEqual(sbs.log.slice(3), ['bind sb1 task_b'], 'no new sandbox, no new process');
    assert.equal(sbs.tasks.get('sb1'), 'task_b');
    assert.equal(kept.size, 0);
    await b.dispose('conv1');
    // A second dispose (the task's end after its finished event) finds nothing: the kept worker stays kept.
    const c = provider('task_c', 'conv1');
    await turn(c, 'three');
    await Promise.all([c.dispose('conv1'), c.dispose()]);
    assert.equal(kept.size, 1);
    assert.ok(!sbs.log.includes('destroy sb1'), sbs.log.join(', '));
    // Without keepFor (a cancelled turn, or no conversation) the task's sandbox goes as before.
    const d = provider('task_d', 'conv1');
    await turn(d, 'four');
    await d.dispose();
    assert.ok(sbs.log.includes('destroy sb1'));
  });

  it("never gives one conversation's worker to another: that turn takes the spare", async () => {
    const spare = new SpareWorker(sbs, { exec: sbs.exec });
    try {
      const a = provider('task_a');
      await turn(a, 'one');
      await a.dispose('conv1');
      spare.fill();
      assert.equal(await spare.ready(), true);
      const other = provider('task_x', 'conv2', spare);
      await turn(other, 'elsewhere');
      assert.equal(sbs.tasks.get('sb2'), 'task_x', 'the spare served it');
      assert.equal(sbs.tasks.get('sb1'), undefined, 'the kept worker is still kept for its own conversation');
      assert.equal(kept.size, 1);
    } finally {
      spare.dispose();
    }
  });

  it('keeps no worker with a model request in flight, and none that died', async () => {
    const a = provider('task_a');
    fake.enqueue(chatTurn({ text: ['never read'] }));
    const it = a.stream(req, new AbortController().signal)[Symbol.asyncIterator]();
    await it.next(); // a request is in flight: the worker is not idle
    await a.dispose('conv1');
    assert.ok(sbs.log.includes('destroy sb1'), sbs.log.join(', '));
    assert.equal(kept.size, 0);
    const b = provider('task_b');
    await turn(b, 'b');
    sbs.procs.get('sb2')!.kill();
    await waitUntil(() => sbs.log.includes('destroy sb2'));
    await b.dispose('conv2');
    assert.equal(kept.size, 0, 'a dead worker is not kept');
  });

  it('a worker that dies while kept is not used: the next turn starts its own', async () => {
    const a = provider('task_a');
    await turn(a, 'one');
    await a.dispose('conv1');
    sbs.procs.get('sb1')!.kill();
    await waitUntil(() => sbs.log.includes('destroy sb1'));
    const b = provider('task_b', 'conv1');
    await turn(b, 'two');
    assert.ok(!sbs.log.includes('bind sb1 task_b'), 'a dead worker is never bound');
    assert.ok(sbs.log.includes('create sb2 task_b'), sbs.log.join(', '));
  });

  it('a worker kept too long, or pushed out by more conversations than kept ones, or at shutdown, is destroyed', async () => {
    kept = new KeptWorkers(sbs, { idleMs: 200, max: 2 });
    const w = async (task: string) => startWorker(sbs, { task, exec: sbs.exec });
    assert.equal(kept.keep('c1', 'task_1', await w('task_1')), true);
    await waitUntil(() => sbs.log.includes('destroy sb1'));
    assert.equal(kept.size, 0, 'idle past its time');
    kept = new KeptWorkers(sbs, { max: 2 });
    assert.equal(kept.keep('c2', 'task_2', await w('task_2')), true);
    assert.equal(kept.keep('c3', 'task_3', await w('task_3')), true);
    assert.equal(kept.keep('c4', 'task_4', await w('task_4')), true);
    await waitUntil(() => sbs.log.includes('destroy sb2'));
    assert.equal(kept.size, 2, 'the least recently kept went');
    assert.equal(kept.take('c2', 'task_5'), undefined);
    // A second worker for the same conversation replaces the first.
    assert.equal(kept.keep('c3', 'task_6', await w('task_6')), true);
    await waitUntil(() => sbs.log.includes('destroy sb3'));
    kept.dispose();
    await waitUntil(() => sbs.log.includes('destroy sb4') && sbs.log.includes('destroy sb5'));
    assert.equal(kept.size, 0);
    assert.equal(kept.keep('c7', 'task_7', await w('task_7')), false, 'nothing is kept after shutdown');
  });

  it('keeps none whose sandbox is too near its deadline for another turn, and hands none over that near', async () => {
    const w = async (task: string) => startWorker(sbs, { task, exec: sbs.exec });
    sbs.deadline = Date.now() + KEEP_IDLE_MS + TURN_MARGIN_MS - 60_000;
    assert.equal(kept.keep('c1', 'task_1', await w('task_1')), false, 'it could be killed in the middle of the next turn');
    sbs.deadline = Date.now() + 3_600_000;
    let now = Date.now();
    kept = new KeptWorkers(sbs, { now: () => now });
    assert.equal(kept.keep('c2', 'task_2', await w('task_2')), true);
    now = sbs.deadline - TURN_MARGIN_MS + 1; // time passed while it was kept
    assert.equal(kept.take('c2', 'task_3'), undefined);
    await waitUntil(() => sbs.log.includes('destroy sb2'));
  });

  it('records each keep and handover before it counts; one that cannot be recorded is not done', async () => {
    const trail: string[] = [];
    let failing = false;
    kept = new KeptWorkers(sbs, {
      record: (action, p) => {
        if (failing) throw new Error('the audit log cannot write');
        trail.push(`${action} ${String(p.task)} ${String(p.conversation)}`);
      },
    });
    const w = async (task: string) => startWorker(sbs, { task, exec: sbs.exec });
    assert.equal(kept.keep('c1', 'task_1', await w('task_1')), true);
    assert.ok(kept.take('c1', 'task_2'));
    assert.deepEqual(trail, ['provider.worker.kept task_1 c1', 'provider.worker.reused task_2 c1']);
    failing = true;
    assert.equal(kept.keep('c3', 'task_3', await w('task_3')), false, 'an unrecorded keep keeps nothing');
    failing = false;
    assert.equal(kept.keep('c4', 'task_4', await w('task_4')), true);
    failing = true;
    assert.equal(kept.take('c4', 'task_5'), undefined, 'an unrecorded handover hands nothing over');
    await waitUntil(() => sbs.log.includes('destroy sb3'));
  });

  it('a sandbox that cannot be unbound or bound again is destroyed, never shared', async () => {
    const x = await startWorker(sbs, { task: 'task_1', exec: sbs.exec });
    assert.equal(kept.keep('c1', 'task_other', x), false, 'it works for task_1, not task_other');
    const y = await startWorker(sbs, { task: 'task_2', exec: sbs.exec });
    assert.equal(kept.keep('c2', 'task_2', y), true);
    sbs.refuseBind = true;
    assert.equal(kept.take('c2', 'task_3'), undefined);
    await waitUntil(() => sbs.log.includes('destroy sb2'));
  });
});
