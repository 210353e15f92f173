// The spare provider worker (kernel/src/agent/provider-worker/spare.ts): started before a task, taken whole by one task
// after its sandbox is bound to it, never used dead or unbound; the real worker bundle as a child process.
import { strict as assert } from 'node:assert';
import type { AirlockError } from '../../../protocol/src/errors';
import { SpareWorker, startWorker } from '../../../kernel/src/agent/provider-worker/spare';
import { SandboxedProvider } from '../../../kernel/src/agent/providers/sandboxed';
import { chatTurn, startOpenAIFake } from '../../fakes/openai';
import type { FakeVendorServer } from '../../fakes/server';
import { FakeSandboxes, req, text, waitUntil } from './provider-sandboxes';

describe('spare provider worker', function () {
  this.timeout(60_000);
  let fake: FakeVendorServer;
  let sbs: FakeSandboxes;
  let spare: SpareWorker;
  const providers: SandboxedProvider[] = [];
  const provider = (task: string) => {
    const p = new SandboxedProvider('openai', { sandboxes: sbs, task, exec: sbs.exec, spare });
    providers.push(p);
    return p;
  };
  beforeEach(async () => {
    fake = await startOpenAIFake();
    sbs = new FakeSandboxes(`${fake.url}/v1`);
    spare = new SpareWorker(sbs, { exec: sbs.exec });
  });
  afterEach(async () => {
    spare.dispose();
    await Promise.all(providers.splice(0).map((p) => p.dispose()));
    for (const p of sbs.procs.values()) p.kill();
    await fake.close();
  });

  it("serves a task's first turn from the worker started before it, bound to the task before any request", async () => {
    spare.fill();
    // Started with no task: the provider endpoint refuses a sandbox that is no task's, so it can do nothing yet; and
    // its warm-up (worker.ts) sends nothing anywhere.
    assert.equal(await spare.ready(), true);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(sbs.log, ['create sb1 -', 'exec sb1']);
    assert.equal(fake.requests.length, 0, 'the warm-up made no request');
    fake.enqueue(chatTurn({ text: ['from ', 'the spare'] }));
    assert.equal(await text(provider('task_a').stream(req, new AbortController().signal)), 'from the spare');
    assert.deepEqual(sbs.log.slice(0, 3), ['create sb1 -', 'exec sb1', 'bind sb1 task_a'], 'no worker started for the turn');
    assert.equal(sbs.tasks.get('sb1'), 'task_a');
    // Taken whole, and the next spare started at once (no task): the follow-up takes that one.
    assert.equal(await spare.ready(), true);
    assert.deepEqual(sbs.log.slice(3), ['create sb2 -', 'exec sb2']);
    fake.enqueue(chatTurn({ text: ['next'] }));
    assert.equal(await text(provider('task_b').stream(req, new AbortController().signal)), 'next');
    assert.equal(sbs.tasks.get('sb2'), 'task_b');
    assert.equal(sbs.tasks.get('sb1'), 'task_a', 'a bound sandbox stays its task');
    assert.ok(!sbs.log.some((l) => / task_[ab]$/.test(l) && l.startsWith('create')), 'no task made its own worker');
    // A task's end takes its sandbox, spare or not.
    await providers[0]!.dispose();
    assert.ok(sbs.log.includes('destroy sb1'));
    assert.ok(!sbs.log.includes('destroy sb2'));
  });

  it('starts no second spare beside one a task took while it was still starting; the next starts once it is up', async () => {
    let release!: () => void;
    sbs.hangExec = new Promise((r) => (release = r));
    spare.fill();
    fake.enqueue(chatTurn({ text: ['waited'] }));
    const answer = text(provider('task_w').stream(req, new AbortController().signal));
    await waitUntil(() => sbs.log.includes('create sb1 -'));
    await new Promise((r) => setTimeout(r, 100));
    // The task waits for the spare still booting; anything asking for a spare now (the refill's hold expiring, a task
    // ending) must not boot a second worker beside it on a small machine.
    spare.fill();
    spare.fill();
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(sbs.log, ['create sb1 -'], 'no second spare while the taken one starts');
    sbs.hangExec = undefined;
    release();
    assert.equal(await answer, 'waited');
    assert.deepEqual(sbs.log.slice(0, 3), ['create sb1 -', 'exec sb1', 'bind sb1 task_w']);
    assert.equal(await spare.ready(), true, 'the next spare started once the taken one was up');
    assert.ok(sbs.log.includes('create sb2 -'), sbs.log.join(', '));
  });

  it('does not use a spare whose worker died: it is destroyed and the task starts its own worker', async () => {
    spare.fill();
    assert.equal(await spare.ready(), true);
    sbs.procs.get('sb1')!.kill();
    await waitUntil(() => sbs.log.includes('destroy sb1'));
    fake.enqueue(chatTurn({ text: ['fresh'] }));
    assert.equal(await text(provider('task_c').stream(req, new AbortController().signal)), 'fresh');
    assert.ok(!sbs.log.includes('bind sb1 task_c'), 'a dead spare is never bound to a task');
    assert.ok(sbs.log.includes('create sb2 task_c'), sbs.log.join(', '));
  });

  it('does not use a spare whose sandbox cannot be given to the task: destroyed, and the task starts its own', async () => {
    spare.fill();
    assert.equal(await spare.ready(), true);
    sbs.refuseBind = true;
    fake.enqueue(chatTurn({ text: ['fresh'] }));
    assert.equal(await text(provider('task_d').stream(req, new AbortController().signal)), 'fresh');
    assert.ok(sbs.log.includes('destroy sb1'), sbs.log.join(', '));
    assert.ok(sbs.log.includes('create sb2 task_d'), sbs.log.join(', '));
    assert.equal(fake.requests.length, 1, 'the refused spare sent nothing');
  });

  it('starts none while not wanted (the ai-provider pool at 0): the task starts its own worker', async () => {
    let wanted = false;
    spare = new SpareWorker(sbs, { exec: sbs.exec, wanted: () => wanted });
    spare.fill();
    assert.equal(await spare.ready(), false);
    fake.enqueue(chatTurn({ text: ['own'] }));
    assert.equal(await text(provider('task_f').stream(req, new AbortController().signal)), 'own');
    assert.deepEqual(sbs.log, ['create sb1 task_f', 'exec sb1']);
    wanted = true;
    spare.fill();
    assert.equal(await spare.ready(), true);
  });

  it('a spare stuck in the engine (create that never answers) gives up at its deadline; the task starts its own', async () => {
    let release!: () => void;
    sbs.hangCreate = new Promise((r) => (release = r));
    spare = new SpareWorker(sbs, { exec: sbs.exec, deadlineMs: 300 });
    spare.fill();
    const t0 = Date.now();
    assert.equal(await spare.ready(), false);
    assert.ok(Date.now() - t0 < 5_000, 'not waited for past the deadline');
    sbs.hangCreate = undefined;
    fake.enqueue(chatTurn({ text: ['own'] }));
    assert.equal(await text(provider('task_g').stream(req, new AbortController().signal)), 'own');
    assert.ok(sbs.log.includes('create sb2 task_g'), sbs.log.join(', '));
    // The stuck call answers late: what it made is destroyed, never left as a sandbox nobody holds.
    release();
    await waitUntil(() => sbs.log.includes('destroy sb1'));
    assert.ok(!sbs.log.includes('exec sb1'), 'no worker started in a sandbox that came too late');
  });

  it('a worker whose exec hangs fails with PROVIDER_WORKER_START at the deadline and its sandbox is destroyed', async () => {
    sbs.hangExec = new Promise(() => undefined);
    const t0 = Date.now();
    await assert.rejects(startWorker(sbs, { task: 'task_h', exec: sbs.exec, deadlineMs: 300 }), (e: AirlockError) => {
      assert.equal(e.code, 'PROVIDER_WORKER_START');
      assert.match(e.message, /did not start within/);
      return true;
    });
    assert.ok(Date.now() - t0 < 5_000);
    await waitUntil(() => sbs.log.includes('destroy sb1'));
  });

  it('destroys an unused spare when disposed', async () => {
    spare.fill();
    assert.equal(await spare.ready(), true);
    spare.dispose();
    await waitUntil(() => sbs.log.includes('destroy sb1'));
    assert.equal(await spare.take('task_e'), undefined);
  });
});
