// A task cancelled while its sandbox's container is being created: the container the engine makes anyway must be known
// (its id on the sandbox), so the cleanup after the abort removes it — found by the soak as leaked 'created' containers.
import * as assert from 'node:assert/strict';
import { bootSandbox } from '../../../kernel/src/runtime/sandbox-boot';
import type { Sandbox } from '../../../kernel/src/runtime/sandbox';
import type { ContainerSpec, IContainerRuntime } from '../../../kernel/src/runtime/types';

describe('sandbox boot: abort during container create', () => {
  it('keeps the id of the container the engine made, then throws the abort', async () => {
    const made: string[] = [];
    // Like the engine API: the container is made whatever happens to the request; an aborted request rejects.
    const runtime = {
      createContainer: (spec: ContainerSpec, signal?: AbortSignal) =>
        new Promise<string>((resolve, reject) => {
          setTimeout(() => {
            made.push(spec.name!);
            resolve(`id-of-${spec.name}`);
          }, 30);
          signal?.addEventListener('abort', () => reject(new Error('request aborted')), { once: true });
        }),
      attach: async () => {
        throw new Error('not reached');
      },
    } as unknown as IContainerRuntime;
    const sandbox = {} as Sandbox;
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(new Error('task cancelled')), 5);
    await assert.rejects(bootSandbox(runtime, sandbox, { name: 'airlock-code-executor-x' } as ContainerSpec, ctl.signal), /task cancelled/);
    assert.deepEqual(made, ['airlock-code-executor-x']);
    assert.equal(sandbox.containerId, 'id-of-airlock-code-executor-x', 'the cleanup can remove it');
  });
});
