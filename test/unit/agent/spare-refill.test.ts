// The spare provider worker is not started beside a model request waiting for its first answer (agent/spare-refill.ts).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import type { SandboxTemplate } from '../../../core/src/templates';
import type { WorkerProcess } from '../../../kernel/src/agent/provider-worker/client';
import { WORKER_LOADER } from '../../../kernel/src/agent/provider-worker/source';
import { SpareWorker, type SpareSandboxes, type WorkerExec } from '../../../kernel/src/agent/provider-worker/spare';
import { SandboxedProvider } from '../../../kernel/src/agent/providers/sandboxed';
import { SpareRefill } from '../../../kernel/src/agent/spare-refill';
import type { SandboxInfo } from '../../../kernel/src/runtime/sandbox';
import { chatTurn, startOpenAIFake } from '../../fakes/openai';

/** Sandboxes as records with a log; the worker runs as a child process speaking to the fake vendor. */
function sandboxes(url: string) {
  const log: string[] = [];
  const kills: Array<() => void> = [];
  let n = 0;
  const exec: WorkerExec = async (sb) => {
    const c = spawn(process.execPath, ['-e', WORKER_LOADER], { env: { PATH: process.env.PATH, AIRLOCK_PROVIDER_URL: url } });
    kills.push(() => c.kill('SIGKILL'));
    log.push(`exec ${sb.id}`);
    return { stdio: Duplex.from({ readable: c.stdout, writable: c.stdin }), stderrTail: () => '' } satisfies WorkerProcess;
  };
  const sbs: SpareSandboxes = {
    runtime: { socketPath: '/nonexistent' },
    stdioFolder: () => undefined,
    create: async (o) => {
      const id = `sb${++n}`;
      log.push(`create ${id} ${o.task ?? '-'}`);
      return { id, template: o.template, state: 'ready', containerId: `c-${id}` } as unknown as SandboxInfo;
    },
    destroy: async (id) => {
      log.push(`destroy ${id}`);
    },
    template: (name) => ({ name }) as SandboxTemplate,
    bindTask: (id, task) => {
      log.push(`bind ${id} ${task}`);
    },
  };
  return { sbs, exec, log, kill: () => kills.forEach((k) => k()) };
}

describe('spare provider worker: held back while a model request waits', function () {
  this.timeout(60_000);

  it('waits for every waiting request to answer; a task that never got to its model holds nothing back', () => {
    let fills = 0;
    const r = new SpareRefill(() => fills++);
    assert.equal(r.quiet, true);
    r.saw('a', 'turn-start');
    r.saw('b', 'turn-start');
    assert.equal(r.quiet, false);
    r.saw('a', 'tool-result'); // not an answer of the model
    r.saw('a', 'text-delta');
    assert.equal(fills, 0, 'b still waits');
    r.saw('b', 'usage');
    assert.equal(fills, 1);
    assert.equal(r.quiet, true);
    r.saw('a', 'text-delta'); // later events of an answered turn change nothing
    r.done('c');
    assert.equal(fills, 1);
    r.saw('c', 'turn-start');
    r.done('c'); // the task ended (cancelled, failed) before any answer
    assert.equal(fills, 2);
    assert.equal(r.quiet, true);
  });

  it('holds a spare back at most holdMs for a request that does not answer (a loaded machine still gets its next spare)', async () => {
    let fills = 0;
    const r = new SpareRefill(() => fills++, 50);
    r.saw('slow', 'turn-start');
    r.saw('slow', 'turn-start'); // a second event of the same wait does not restart its clock
    await new Promise((res) => setTimeout(res, 20));
    assert.equal(fills, 0);
    assert.equal(r.quiet, false);
    await new Promise((res) => setTimeout(res, 80));
    assert.equal(fills, 1);
    assert.equal(r.quiet, true);
    r.saw('slow', 'text-delta'); // the late answer starts nothing more
    assert.equal(fills, 1);
  });

  it("a task takes the spare and no next one starts until the task's model answered; then it starts", async () => {
    const fake = await startOpenAIFake();
    const s = sandboxes(`${fake.url}/v1`);
    const refill = new SpareRefill(() => spare.fill(), 60_000);
    const spare = new SpareWorker(s.sbs, { exec: s.exec, wanted: () => refill.quiet });
    const provider = new SandboxedProvider('openai', { sandboxes: s.sbs, task: 'task_a', exec: s.exec, spare });
    try {
      spare.fill();
      assert.equal(await spare.ready(), true);
      fake.enqueue(chatTurn({ text: ['one ', 'two'] }));
      refill.saw('task_a', 'turn-start'); // as TaskService sees the loop's event, just before the request
      const it = provider.stream({ model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [] }, new AbortController().signal);
      const events = it[Symbol.asyncIterator]();
      const first = await events.next();
      assert.deepEqual(first.value, { type: 'text-delta', text: 'one ' });
      assert.deepEqual(s.log, ['create sb1 -', 'exec sb1', 'bind sb1 task_a'], 'no spare started beside the request');
      refill.saw('task_a', 'text-delta');
      assert.equal(await spare.ready(), true);
      assert.deepEqual(s.log.slice(3), ['create sb2 -', 'exec sb2'], 'started once the model answered');
      for (let e = await events.next(); !e.done; e = await events.next());
    } finally {
      spare.dispose();
      await provider.dispose();
      s.kill();
      await fake.close();
    }
  });
});
