// The engine dropping the kernel's agent streams (a restarted Podman service) is told apart from a sandbox's own end,
// a local close of the channel (destroy, a flooded channel) is never taken for either, and the kernel stops once when
// its engine is lost (a drop, or a socket that refuses connections).
import * as assert from 'node:assert/strict';
import { AirlockError } from '../../../protocol/src/errors';
import { EngineDropDetector } from '../../../kernel/src/runtime/engine-drop';
import { Emitter } from '../../../protocol/src/lifecycle';
import { watchEngine } from '../../../kernel/src/lifecycle/engine-lost';
import { ENGINE_LOST_EXIT } from '../../../core/src/engine/container-end';
import { SandboxManager } from '../../../kernel/src/runtime/sandbox-manager';
import type { EngineDrop } from '../../../kernel/src/runtime/engine-drop';
import type { KernelServices } from '../../../kernel/src/services';
import type { ContainerStatus } from '../../../kernel/src/runtime/types';
import { silentAgent } from './agent-harness';

type Answer = boolean | Error;
const status = (running: boolean) => ({ id: 'c', running }) as ContainerStatus;

/** A detector over inspect answers given in turn; records how many were asked. */
function detector(answers: Answer[]) {
  let asked = 0;
  const d = new EngineDropDetector(
    {
      inspect: async () => {
        const a = answers[asked++];
        if (a instanceof Error) throw a;
        return status(a ?? false);
      },
    },
    async () => {},
  );
  const drops: string[] = [];
  d.onDidDrop((e) => drops.push(e.why));
  return { d, drops, asked: () => asked };
}

describe('engine drop detection', () => {
  it('a container still running after its stream ended (checked twice) is a drop, fired once', async () => {
    const t = detector([true, true, true, true]);
    assert.equal(await t.d.check('c1'), true);
    assert.equal(t.asked(), 2);
    assert.equal(await t.d.check('c2'), false, 'only the first drop fires');
    assert.equal(t.drops.length, 1);
    assert.match(t.drops[0]!, /runs on without its agent stream/);
  });

  it('an engine that does not answer is a drop; a container that is gone or has ended is its own end', async () => {
    const down = detector([new AirlockError('RUNTIME_ERROR', 'inspecting c: connect ECONNREFUSED')]);
    assert.equal(await down.d.check('c'), true);
    assert.match(down.drops[0]!, /does not answer.*ECONNREFUSED/);
    for (const answers of [[new AirlockError('RUNTIME_NOT_FOUND_OBJECT', 'no such container')], [false], [true, false]]) {
      const t = detector(answers);
      assert.equal(await t.d.check('c'), false, JSON.stringify(answers.map(String)));
      assert.deepEqual(t.drops, []);
    }
  });

  it("the agent channel reports only an end from the other side, never its own close or a broken channel's", async () => {
    let gone = 0;
    const remote = silentAgent({ onGone: () => gone++ });
    remote.wire.end();
    await new Promise((r) => setImmediate(r));
    assert.equal(gone, 1, 'the engine ended the stream');
    remote.dispose();
    assert.equal(gone, 1, 'a close after that is not another');

    let local = 0;
    const closed = silentAgent({ onGone: () => local++ });
    closed.client.close();
    await new Promise((r) => setImmediate(r));
    const flooded = silentAgent({ onGone: () => local++, floodBudgetBytes: 10 });
    flooded.wire.write('x'.repeat(64) + '\n');
    await new Promise((r) => setImmediate(r));
    await assert.rejects(flooded.client.exec({ argv: ['true'] }), /AGENT_FLOOD|more than 10 bytes/);
    assert.equal(local, 0, 'closed or broken here: not reported');
  });

  it('the kernel stops (kernel.engine-lost, exit 75) on a drop, or on its socket refusing three pings in a row', async () => {
    const rig = (ping: () => Promise<void>) => {
      const drops = new Emitter<EngineDrop>();
      const rt = Object.create(SandboxManager.prototype) as SandboxManager;
      Object.defineProperty(rt, 'runtime', { value: { ping } });
      Object.defineProperty(rt, 'onDidLoseEngine', { value: drops.event });
      rt.shutdown = async () => {};
      const out = { recorded: [] as string[], exits: [] as number[], disposed: 0, log: [] as string[] };
      const audit = { sessionsAllowed: true, writer: { append: async (e: { action: string }) => void out.recorded.push(e.action) } };
      const services = { runtime: rt, audit } as unknown as KernelServices;
      const w = watchEngine(
        { services, dispose: () => out.disposed++ },
        (c) => out.exits.push(c),
        (l) => out.log.push(l),
        5,
      )!;
      return { out, drops, w };
    };
    const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

    let pings = 0;
    const refused = rig(async () => {
      pings++;
      throw new AirlockError('RUNTIME_NO_RUNTIME', 'podman does not answer at /run/engine.sock: connect ECONNREFUSED /run/engine.sock');
    });
    await settle(200);
    assert.deepEqual(refused.out.exits, [ENGINE_LOST_EXIT], refused.out.log.join('\n'));
    assert.equal(pings, 3, 'three refusals in a row, then no more pings');
    assert.deepEqual(refused.out.recorded, ['kernel.engine-lost']);
    assert.equal(refused.out.disposed, 1);

    const slow = rig(() => Promise.reject(new Error('timeout')));
    await settle(100);
    assert.deepEqual(slow.out.exits, [], 'a slow or failing engine that still takes connections is not lost');
    slow.drops.fire({ containerId: 'c', why: 'sandbox container c runs on without its agent stream' });
    await settle(20);
    assert.deepEqual(slow.out.exits, [ENGINE_LOST_EXIT]);
    assert.match(slow.out.log.join('\n'), /lost its container engine \(it dropped the sandboxes' streams/);
    slow.drops.fire({ containerId: 'c', why: 'again' });
    await settle(20);
    assert.equal(slow.out.exits.length, 1, 'stops once');
    slow.w.dispose();
  });
});
