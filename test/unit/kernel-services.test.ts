// The kernel's services are all present: every method has its handler (type-checked), and a kernel without a container
// engine refuses sandbox work with SANDBOX_NO_RUNTIME through its null runtime instead of a missing service.
import * as assert from 'node:assert/strict';
import { AirlockError } from '../../protocol/src/errors';
import { methods } from '../../protocol/src/methods';
import { createHandlers, type KernelHandlers } from '../../kernel/src/handlers/registry';
import { NO_RUNTIME_HINT, NoSandboxes, type SandboxService } from '../../kernel/src/runtime/no-sandboxes';
import { inProcessKernel, type InProcessKernel } from './kernel-harness';

/** Compiled by `tsc --noEmit -p .`: a registry without one method's handler is a type error. */
export function registryWithoutPing(h: KernelHandlers): KernelHandlers {
  const { 'kernel/ping': _ping, ...rest } = h;
  // @ts-expect-error 'kernel/ping' is missing: the kernel's handler map must name every method
  const registry: KernelHandlers = rest;
  return registry;
}

const noRuntime = (why?: RegExp) => (e: unknown) =>
  e instanceof AirlockError &&
  e.code === 'SANDBOX_NO_RUNTIME' &&
  /^this kernel has no container engine/.test(e.message) &&
  (!why || why.test(e.message)) &&
  e.hint === NO_RUNTIME_HINT;

describe('kernel services', () => {
  let k: InProcessKernel;
  beforeEach(async () => {
    k = await inProcessKernel({ 'a.txt': 'a\n' });
  });
  afterEach(() => k.dispose());

  it('the kernel composition serves every protocol method', () => {
    const h = createHandlers(k.services);
    assert.deepEqual(Object.keys(h).sort(), Object.keys(methods).sort());
    for (const [m, f] of Object.entries(h)) assert.equal(typeof f, 'function', m);
    assert.equal(registryWithoutPing(h)['kernel/ping'], undefined);
  });

  it('without an engine the runtime is the null object, and every sandbox method and task/start refuse', async () => {
    assert.ok(k.services.runtime instanceof NoSandboxes);
    const c = k.client;
    await assert.rejects(c.request('sandbox/list', {}), noRuntime());
    await assert.rejects(c.request('sandbox/create', { template: 'code-executor' }), noRuntime());
    await assert.rejects(c.request('sandbox/exec', { id: 'x', argv: ['true'] }), noRuntime());
    await assert.rejects(c.request('sandbox/destroy', { id: 'x' }), noRuntime());
    await assert.rejects(c.request('sandbox/pause', { id: 'x' }), noRuntime());
    await assert.rejects(c.request('sandbox/resume', { id: 'x' }), noRuntime());
    await assert.rejects(c.request('sandbox/prune', {}), noRuntime());
    await assert.rejects(c.request('sandbox/pools', {}), noRuntime());
    await assert.rejects(
      c.request('task/start', { prompt: 'x', replay: 'r.jsonl' }),
      noRuntime(/so tasks cannot run commands or edit files/),
    );
    // Everything that needs no engine still answers.
    assert.deepEqual((await c.request('tasks/list', {})).tasks, []);
    assert.deepEqual((await c.request('review/list', {})).sets, []);
  });

  it('the null runtime refuses every member of the interface, getters included', () => {
    const none: SandboxService = new NoSandboxes();
    const members: Array<keyof SandboxService> = [
      'list',
      'templates',
      'runtime',
      'create',
      'exec',
      'destroy',
      'prune',
      'pause',
      'resume',
      'poolSizes',
      'setPoolSizes',
      'poolsEnabled',
      'health',
      'preemptionFor',
    ];
    for (const m of members) {
      assert.throws(
        () => {
          const v = none[m];
          if (typeof v === 'function') (v as () => unknown).call(none);
        },
        noRuntime(),
        m,
      );
    }
  });
});
