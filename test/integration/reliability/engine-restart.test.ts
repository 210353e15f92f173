// The container engine restarts under a running kernel (a private dockerd, stopped as `systemctl restart docker` does,
// so the kernel and its sandboxes are stopped with it): the supervisor waits for it and starts the kernel again, the
// client carries on, and at each step of a task (fault-steps.ts) what must survive does (fault-harness.ts). One private
// dockerd serves every case: starting it and building the images on it is most of the file's time.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KernelSupervisor, type KernelState } from '../../../bootstrap';
import { type EngineRestart, startCleanDockerd } from '../images/registry-fixture';
import { buildImagesOn } from '../runtime/runsc-engine';
import { removeKernel } from '../agent/helpers';
import { tempWorkspace } from '../kernel/helpers';
import { restartedAfter } from './fault-harness';
import { type Fault, runStep, startBed, STEP_NAMES } from './fault-steps';

/** How long the engine stays away in the matrix: past the kernel's first restart backoffs, short enough for CI. */
const MATRIX_DOWN_MS = 2_000;

describe('the container engine restarts under a running kernel (docker, a private dockerd)', function () {
  this.timeout(600_000);
  let clean: Awaited<ReturnType<typeof startCleanDockerd>>;

  before(async () => {
    const t0 = Date.now();
    clean = await startCleanDockerd();
    await buildImagesOn(clean.socket);
    console.log(`      private dockerd and sandbox images ready in ${Date.now() - t0} ms`);
  });
  after(async () => {
    await clean?.stop();
  });

  it('the supervisor waits for the engine (no restart attempts used up), starts the kernel again, and the audit chain holds', async () => {
    const ws = tempWorkspace();
    let sup: KernelSupervisor | undefined;
    try {
      // maxRestarts 2: the backoffs (0.2 + 0.4 s) are far shorter than the 10 s the engine is away.
      sup = await KernelSupervisor.start({ ...ws, runtime: 'docker', socket: clean.socket, maxRestarts: 2 });
      const before = await (await sup.ready()).request('audit/verify', {});
      assert.equal(before.type, 'intact');
      const states: KernelState[] = [];
      sup.onDidChangeState((s) => states.push(s));
      const t0 = Date.now();
      await clean.restart(10_000);
      const client = await sup.ready().catch((e: Error) => {
        throw new Error(
          `${e.message}; states: ${JSON.stringify(states.map((x) => (x.type === 'failed' ? x.error.message : x.type === 'restarting' ? x.reason : x.type)))}`,
        );
      });
      await client.request('kernel/ping', {});
      const back = Date.now() - t0;
      assert.ok(
        !states.some((s) => s.type === 'failed'),
        `never failed: ${JSON.stringify(states.map((s) => (s.type === 'failed' ? s.error.message : s.type)))}`,
      );
      assert.ok(
        states.some((s) => s.type === 'restarting' && /container engine is not answering/.test(s.reason)),
        'it said it waits for the engine',
      );
      const after = await client.request('audit/verify', {});
      assert.equal(after.type, 'intact', JSON.stringify(after));
      if (before.type === 'intact' && after.type === 'intact')
        assert.ok(after.lastSeq >= before.lastSeq, 'every entry acknowledged before is still there');
      console.log(`      kernel answering again ${back} ms after the engine went down (10 s of it away)`);
    } finally {
      if (sup) await removeKernel(sup);
      fs.rmSync(path.dirname(ws.workspace), { recursive: true, force: true });
    }
  });

  describe('at each step of a task', () => {
    let bed: Awaited<ReturnType<typeof startBed>> | undefined;
    const restartEngine: Fault = async (sup, old) => {
      const t0 = Date.now();
      let r: EngineRestart | undefined;
      const names = new Map((await clean.docker.listContainers()).map((c) => [c.Id, c.Names[0]]));
      const client = await restartedAfter(sup, old, async () => {
        r = await clean.restart(MATRIX_DOWN_MS);
      });
      console.log(
        `      kernel answering again ${Date.now() - t0} ms after the engine was stopped ` +
          `(stopping ${r?.stopMs} ms, away ${MATRIX_DOWN_MS} ms, starting ${r?.startMs} ms)`,
      );
      // Nothing holds the engine's stop past a sandbox's 1 s: the kernel exits on SIGTERM, and a sandbox that ignores
      // it (one made while the engine stopped) is killed after SANDBOX_STOP_TIMEOUT_S, not the engine's default 10 s.
      const held = (r?.forced ?? [])
        .filter((l) => !/within 1s of signal/.test(l))
        .map((l) => `${names.get(/container=(\w+)/.exec(l)?.[1] ?? '') ?? 'a container made while stopping'}: ${l}`);
      assert.deepEqual(held, [], 'no container held the engine stop to its 10 s default');
      return client;
    };

    before(async () => {
      bed = await startBed({ runtime: 'docker', socket: clean.socket });
    });
    after(() => bed?.close());

    for (const step of STEP_NAMES) it(step, () => runStep(bed!, step, restartEngine));
  });
});
