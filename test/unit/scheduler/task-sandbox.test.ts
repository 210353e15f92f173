// acquireTaskSandbox: a stop that lands while the sandbox is being created still removes it before anyone hears of it.
import * as assert from 'node:assert/strict';
import { acquireTaskSandbox } from '../../../kernel/src/scheduler/task-sandbox';

describe('task sandbox acquisition', () => {
  it('aborted during create: the sandbox is destroyed before the abort is reported', async () => {
    const log: string[] = [];
    const ac = new AbortController();
    const runtime = {
      create: async () => {
        ac.abort(new Error('stopped'));
        log.push('created');
        return { id: 'sbx-1' } as never;
      },
      destroy: async (id: string) => {
        await new Promise((r) => setTimeout(r, 30));
        log.push(`destroyed ${id}`);
        return {} as never;
      },
      release: async () => {
        log.push('released');
      },
    };
    await assert.rejects(acquireTaskSandbox(runtime, { id: 't1', signal: ac.signal }, { template: 'code-executor' }), /stopped/);
    log.push('caller told');
    assert.deepEqual(log, ['created', 'destroyed sbx-1', 'caller told']);
  });

  it('aborted while in use: release() returns only once the container is gone', async () => {
    const log: string[] = [];
    const ac = new AbortController();
    const runtime = {
      create: async () => ({ id: 'sbx-2' }) as never,
      destroy: async () => {
        await new Promise((r) => setTimeout(r, 30));
        log.push('destroyed');
        return {} as never;
      },
      release: async () => {
        log.push('recycled');
      },
    };
    const sb = await acquireTaskSandbox(runtime, { id: 't2', signal: ac.signal }, { template: 'code-executor' });
    ac.abort();
    await sb.release();
    log.push('released');
    assert.deepEqual(log, ['destroyed', 'released']);
  });
});
