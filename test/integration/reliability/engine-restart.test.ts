// The container engine restarts under a running kernel (a private dockerd, stopped as `systemctl restart docker` does and
// back after longer than the kernel's restart backoffs): the supervisor waits for it, starts the kernel again, the
// client carries on, and nothing acknowledged in the audit log is lost.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KernelSupervisor, type KernelState } from '../../../bootstrap';
import { startCleanDockerd } from '../images/registry-fixture';
import { tempWorkspace } from '../kernel/helpers';

describe('the container engine restarts under a running kernel (docker)', function () {
  this.timeout(600_000);

  it('the supervisor waits for the engine (no restart attempts used up), starts the kernel again, and the audit chain holds', async () => {
    const clean = await startCleanDockerd();
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
      sup?.dispose();
      await clean.stop();
      fs.rmSync(path.dirname(ws.workspace), { recursive: true, force: true });
    }
  });
});
