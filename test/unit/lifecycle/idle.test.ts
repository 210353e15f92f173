// Idle shutdown: when the kernel counts as idle, when it stops, and what it records and destroys first.
import * as assert from 'node:assert/strict';
import { idleMsFromEnv, IdleMonitor, idleStop, kernelBusy } from '../../../kernel/src/lifecycle/idle';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import type { KernelServices } from '../../../kernel/src/services';
import { KEYS } from '../../../core/src/config/keys';
import { readConfig } from '../../../core/src/config/bootstrap';
import * as os from 'node:os';

describe('kernel idle shutdown', () => {
  it('reads kernel.idleMinutes from the environment bootstrap sets (0 or unset: never)', () => {
    assert.equal(idleMsFromEnv({ AIRLOCK_KERNEL_IDLE_MINUTES: '30' }), 1_800_000);
    assert.equal(idleMsFromEnv({ AIRLOCK_KERNEL_IDLE_MINUTES: '0.05' }), 3_000);
    assert.equal(idleMsFromEnv({ AIRLOCK_KERNEL_IDLE_MINUTES: '0' }), undefined);
    assert.equal(idleMsFromEnv({}), undefined);
    assert.equal(idleMsFromEnv({ AIRLOCK_KERNEL_IDLE_MINUTES: 'soon' }), undefined);
    assert.equal(KEYS['kernel.idleMinutes'].default, 30);
    assert.deepEqual([...KEYS['kernel.idleMinutes'].layers], ['user', 'env', 'flag']);
  });

  it('bootstrap resolves the key from the environment and from its options (the flags layer)', () => {
    const env = { ...process.env, AIRLOCK_KERNEL_IDLE_MINUTES: '7', XDG_CONFIG_HOME: os.tmpdir() + '/airlock-idle-none' };
    assert.equal(readConfig({ workspace: os.tmpdir() }, env).idleMinutes, 7);
    assert.equal(readConfig({ workspace: os.tmpdir(), idleMinutes: 2 }, env).idleMinutes, 2);
    assert.equal(readConfig({ workspace: os.tmpdir() }, { ...env, AIRLOCK_KERNEL_IDLE_MINUTES: undefined }).idleMinutes, 30);
  });

  it('fires once, only after the whole idle time with no client and no task; any activity restarts the clock', () => {
    let now = 0;
    let busy: string | undefined;
    let fired = 0;
    const m = new IdleMonitor({ idleMs: 10_000, busy: () => busy, onIdle: () => fired++, now: () => now });
    try {
      now = 9_999;
      m.check();
      assert.equal(fired, 0);
      busy = 'a client is connected';
      now = 9_999;
      m.check();
      busy = undefined;
      now = 19_000;
      m.check();
      assert.equal(fired, 0, 'the clock restarted at the last busy check');
      now = 20_000;
      m.check();
      m.check();
      assert.equal(fired, 1);
    } finally {
      m.dispose();
    }
  });

  it('counts connections (also those still authenticating) and queued, running or paused tasks as busy', () => {
    const server = { connectionCount: 0, waitingCount: 0 };
    let tasks: unknown[] = [];
    let asked: string[] = [];
    const services = {
      scheduler: {
        list: (s: string[]) => {
          asked = s;
          return tasks;
        },
      },
    } as unknown as KernelServices;
    assert.equal(kernelBusy(server, services), undefined);
    assert.deepEqual(asked.sort(), ['paused', 'queued', 'running', 'waiting']);
    server.waitingCount = 1;
    assert.equal(kernelBusy(server, services), 'a client is connected');
    server.waitingCount = 0;
    tasks = [{}];
    assert.equal(kernelBusy(server, services), '1 task(s) queued or running');
  });

  it('records kernel.idle-stop synchronously, then destroys every sandbox, then disposes', async () => {
    const order: string[] = [];
    const runtime = Object.create(SandboxManager.prototype) as SandboxManager;
    runtime.shutdown = async () => {
      order.push('sandboxes destroyed');
    };
    const audit = {
      sessionsAllowed: true,
      writer: {
        append: async (i: { action: string }, o: { sync: boolean }) => {
          order.push(`${i.action} sync=${o.sync}`);
        },
      },
    };
    await idleStop(
      { audit, runtime } as unknown as KernelServices,
      3000,
      () => order.push('disposed'),
      () => {},
    );
    assert.deepEqual(order, ['kernel.idle-stop sync=true', 'sandboxes destroyed', 'disposed']);
  });
  it('stops even when the engine never answers the sandbox removals (bounded), saying what is left to the sweep', async () => {
    const runtime = Object.create(SandboxManager.prototype) as SandboxManager;
    runtime.shutdown = () => new Promise<void>(() => {}); // an engine that never answers
    const audit = { sessionsAllowed: true, writer: { append: async () => {} } };
    const said: string[] = [];
    let disposed = false;
    const t0 = Date.now();
    await idleStop(
      { audit, runtime } as unknown as KernelServices,
      3000,
      () => (disposed = true),
      (l) => said.push(l),
      50,
    );
    assert.ok(disposed, 'the kernel is disposed');
    assert.ok(Date.now() - t0 < 2000);
    assert.ok(
      said.some((l) => /not all removed within 0.05 s/.test(l)),
      said.join('\n'),
    );
  });
});
