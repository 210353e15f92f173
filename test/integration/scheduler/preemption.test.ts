// Real engines: a more urgent task preempts a running one by really pausing its sandbox (engine State.Paused), or
// by destroying it and running the task again (template policy `requeue`, or when the engine refuses to pause).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRuntime } from '../../../kernel/src/runtime/detect';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import { loadTemplates } from '../../../core/src/templates';
import type { EngineKind } from '../../../kernel/src/runtime/types';
import type { Scheduler } from '../../../kernel/src/scheduler/scheduler';
import { acquireTaskSandbox } from '../../../kernel/src/scheduler/task-sandbox';
import type { TaskContext } from '../../../kernel/src/scheduler/types';
import { createScheduler } from '../../../kernel/src/workflow/wiring';
import { ensureSandboxImages } from '../../../templates/builder/sandbox-images';

const SOCKETS: Record<EngineKind, string> = { docker: '/var/run/docker.sock', podman: '/run/podman/podman.sock' };
// Counts to 20 in about 2 s (node: every template's image has it); a paused sandbox freezes it, so it only finishes after the resume.
const COUNT = [
  'node',
  '-e',
  'let i=0;const t=setInterval(()=>{require("fs").writeFileSync("/tmp/n",String(++i));if(i>=20){clearInterval(t);console.log("done")}},100)',
];
const AGAIN = ['node', '-e', 'console.log("again")'];

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 30_000, state?: () => unknown): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting${state ? `: ${JSON.stringify(state())}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  return {
    promise: new Promise<void>((r) => {
      resolve = r;
    }),
    resolve,
  };
}

for (const engine of ['docker', 'podman'] as const) {
  describe(`preemption with real sandboxes on ${engine}`, function () {
    this.timeout(120_000);
    let m: SandboxManager;
    let sch: Scheduler;

    before(async () => {
      await ensureSandboxImages({ engine, socketPath: SOCKETS[engine] });
      m = new SandboxManager({ runtime: createRuntime(engine), templates: loadTemplates() });
    });
    beforeEach(() => {
      sch = createScheduler({ sandboxes: 4, modelRequests: 4, cpu: 1 }, m);
    });
    afterEach(() => sch.dispose());
    after(async () => {
      await m?.shutdown();
    });

    /** A low-priority task that runs COUNT in its own sandbox of `template`; resolves its sandbox once COUNT runs. */
    function submitCounter(id: string, template: string, out: { stdout?: string; attempts: number[] }) {
      const started = deferred();
      let sandboxId = '';
      sch.submit(
        { id, priority: 5, resources: { sandboxes: 1, cpu: 1 }, preemption: m.preemptionFor(template) },
        async (ctx: TaskContext) => {
          out.attempts.push(ctx.attempt);
          const sb = await acquireTaskSandbox(m, ctx, { template });
          try {
            sandboxId = sb.id;
            const run = m.exec(sb.id, { argv: ctx.attempt === 1 ? COUNT : AGAIN }, { signal: ctx.signal });
            started.resolve();
            out.stdout = (await run).stdout;
          } finally {
            await sb.release();
          }
        },
      );
      return { started: started.promise, sandbox: () => sandboxId };
    }

    it("pauses the lower task's sandbox (State.Paused === true) while the urgent one runs, then resumes it", async () => {
      const out: { stdout?: string; attempts: number[] } = { attempts: [] };
      const low = submitCounter('low', 'code-executor', out);
      await low.started;
      await new Promise((r) => setTimeout(r, 300));
      const container = m.info(low.sandbox()).containerId!;
      const urgent = deferred();
      sch.submit({ id: 'urgent', priority: 0, resources: { cpu: 1 } }, () => urgent.promise);
      await waitFor(() => sch.get('urgent')!.state === 'running');
      assert.equal(sch.get('low')!.state, 'paused');
      assert.equal(sch.get('low')!.pausedBy, 'preemption');
      assert.equal((await m.runtime.inspect(container)).paused, true);
      assert.deepEqual([m.info(low.sandbox()).state, m.info(low.sandbox()).pausedBy], ['paused', 'preemption']);
      // Frozen for real: a command sent now waits for the resume, and the counter does not finish.
      const peek = m.exec(low.sandbox(), { argv: ['node', '-e', 'process.stdout.write(require("fs").readFileSync("/tmp/n"))'] });
      const raced = await Promise.race([peek.then(() => 'ran'), new Promise((r) => setTimeout(() => r('frozen'), 2500))]);
      assert.equal(raced, 'frozen');
      assert.equal(out.stdout, undefined);
      urgent.resolve();
      await waitFor(() => sch.get('low')!.state === 'done', 30_000);
      assert.equal(out.stdout, 'done\n');
      assert.deepEqual(out.attempts, [1], 'resumed, not restarted');
      assert.ok(Number((await peek).stdout) >= 1);
      assert.equal(sch.get('urgent')!.state, 'done');
    });

    it("template policy requeue: the lower task's sandbox is destroyed and the task runs again afterwards", async () => {
      const out: { stdout?: string; attempts: number[] } = { attempts: [] };
      const low = submitCounter('low', 'integration-test', out);
      assert.equal(sch.get('low')!.preemption, 'requeue');
      await low.started;
      const first = m.info(low.sandbox()).containerId!;
      const urgent = deferred();
      sch.submit({ id: 'urgent', priority: 0, resources: { cpu: 1 } }, () => urgent.promise);
      await waitFor(() => sch.get('urgent')!.state === 'running');
      await assert.rejects(m.runtime.inspect(first), /no such container|not found/i);
      assert.equal(sch.get('low')!.state, 'queued');
      urgent.resolve();
      await waitFor(() => sch.get('low')!.state === 'done');
      assert.deepEqual(out.attempts, [1, 2]);
      assert.equal(out.stdout, 'again\n');
    });

    it('when the engine refuses to pause, the task is destroyed and requeued instead', async () => {
      const out: { stdout?: string; attempts: number[] } = { attempts: [] };
      const low = submitCounter('low', 'code-executor', out);
      await low.started;
      const container = m.info(low.sandbox()).containerId!;
      // Paused behind the kernel's back: the engine refuses a second pause ("already paused").
      execFileSync(engine, ['pause', container]);
      const urgent = deferred();
      sch.submit({ id: 'urgent', priority: 0, resources: { cpu: 1 } }, () => urgent.promise);
      await waitFor(() => sch.get('urgent')!.state === 'running');
      await assert.rejects(m.runtime.inspect(container), /no such container|not found/i);
      urgent.resolve();
      await waitFor(
        () => sch.get('low')!.state === 'done',
        60_000,
        () => ({ low: sch.get('low'), out }),
      );
      assert.deepEqual(out.attempts, [1, 2]);
    });
  });
}
