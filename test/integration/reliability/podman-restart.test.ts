// The Podman API service restarts under a running kernel (a private `podman system service`, stopped with SIGTERM as
// `systemctl restart podman` does). Unlike dockerd, Podman keeps the kernel and its sandboxes running, but every stream
// the kernel held through the service (each sandbox's exec agent) is cut: the kernel notices, records
// kernel.engine-lost and stops (its bind mount of the engine socket is the old socket: it could never reach the engine
// again), bootstrap starts it again, and at the core steps of a task (fault-steps.ts) what must survive does
// (fault-harness.ts), as after a Docker restart (engine-restart.test.ts). With no client, it stops all the same.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KernelSupervisor, type KernelState } from '../../../bootstrap';
import { ENGINE_LOST_EXIT } from '../../../core/src/engine/container-end';
import { removeKernel, tempWorkspace } from '../kernel/helpers';
import { removeAll, restartedAfter, until } from './fault-harness';
import { type Fault, runStep, startBed, type StepName } from './fault-steps';
import { type PodmanService, startPodmanService } from './podman-service';

/** Commands running across the restart, a task waiting for the person, a merge on the host cut off half-way. */
const CORE: StepName[] = ['queued and tool executing', 'approval pending', 'merge half-written'];
const DOWN_MS = 2_000;

describe('the Podman service restarts under a running kernel (a private podman system service)', function () {
  this.timeout(600_000);
  let svc: PodmanService | undefined;
  let bed: Awaited<ReturnType<typeof startBed>> | undefined;

  const restartService: Fault = async (sup, old) => {
    const t0 = Date.now();
    const states: KernelState[] = [];
    const sub = sup.onDidChangeState((s) => states.push(s));
    let r: Awaited<ReturnType<PodmanService['restart']>> | undefined;
    const stops = async (c: typeof old) =>
      (await c.request('audit/query', { action: 'kernel.engine-lost', order: 'desc', limit: 100 })).entries.length;
    const before = await stops(old);
    try {
      const client = await restartedAfter(sup, old, async () => {
        r = await svc!.restart(DOWN_MS);
      });
      assert.ok(
        states.some((s) => s.type === 'restarting' && /container engine restarted under the kernel/.test(s.reason)),
        `bootstrap said why: ${JSON.stringify(states.map((s) => (s.type === 'restarting' ? s.reason : s.type)))}`,
      );
      assert.equal(await stops(client), before + 1, 'the stop is in the audit log');
      console.log(
        `      kernel answering again ${Date.now() - t0} ms after the service was stopped ` +
          `(stopping ${r?.stopMs} ms, away ${DOWN_MS} ms, starting ${r?.startMs} ms)`,
      );
      return client;
    } finally {
      sub.dispose();
    }
  };

  before(async () => {
    svc = await startPodmanService();
  });
  after(async () => {
    await svc?.stop();
  });

  it('with no client: it stops (kernel.engine-lost), no pool sandbox runs on, the next client starts it and sweeps them', async () => {
    const ws = tempWorkspace();
    const start = () => KernelSupervisor.start({ ...ws, runtime: 'podman', socket: svc!.socket, maxRestarts: 5 });
    let sup = await start();
    const d = svc!.docker;
    const kernel = d.getContainer(`airlock-kernel-${sup.paths.id}`);
    const held = async () =>
      d.listContainers({ all: true, filters: { label: [`airlock.holder=container:airlock-kernel-${sup.paths.id}`] } });
    try {
      const pool = await until('warm pool sandboxes', async () => (await held()).length > 0 && (await held()), 60_000, 250);
      sup.dispose(); // no client from here on
      const t0 = Date.now();
      await svc!.restart(DOWN_MS);
      const state = await until(
        'the kernel to stop',
        async () => {
          const st = (await kernel.inspect()).State;
          return st.Running ? undefined : st;
        },
        60_000,
        250,
      );
      const stoppedMs = Date.now() - t0;
      assert.equal(state.ExitCode, ENGINE_LOST_EXIT, 'it stopped because it lost its engine');
      // Its engine socket was the old one: it could not remove them, but nothing of it runs on.
      assert.deepEqual(
        (await held()).filter((c) => c.State === 'running').map((c) => c.Names[0]),
        [],
        'no pool sandbox runs on',
      );
      const t1 = Date.now();
      sup = await start();
      const client = await sup.ready();
      assert.equal((await kernel.inspect()).State.Running, true, 'the next client started it again');
      const old = new Set(pool.map((c) => c.Id));
      await until('the old pool swept', async () => !(await held()).some((c) => old.has(c.Id)), 60_000, 500);
      const lost = await client.request('audit/query', { action: 'kernel.engine-lost', order: 'desc', limit: 10 });
      assert.equal(lost.entries.length, 1, 'the stop is in the audit log');
      console.log(
        `      stopped ${stoppedMs} ms after the service was stopped (away ${DOWN_MS} ms); started again in ${Date.now() - t1} ms`,
      );
    } finally {
      await removeAll(sup, removeKernel);
      fs.rmSync(path.dirname(ws.workspace), { recursive: true, force: true });
    }
  });

  describe('at the core steps of a task', () => {
    before(async () => {
      bed = await startBed({ runtime: 'podman', socket: svc!.socket });
    });
    after(() => bed?.close());

    for (const step of CORE) it(step, () => runStep(bed!, step, restartService));
  });
});
