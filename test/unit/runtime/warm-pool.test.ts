// A warm pool that failed to fill (no image yet) fills on its own once the cause is gone: no kernel restart needed.
import * as assert from 'node:assert/strict';
import type { Sandbox } from '../../../kernel/src/runtime/sandbox';
import type { SandboxTemplate } from '../../../core/src/templates';
import { WarmPool } from '../../../kernel/src/runtime/warm-pool';

const template = { name: 'code-executor', pool: { size: 2, afterUse: 'destroy' } } as unknown as SandboxTemplate;
const fake = (n: number) => ({ id: `sb${n}`, lifecycle: { state: 'ready' } }) as unknown as Sandbox;

describe('warm pool', () => {
  it('retries a failed fill with backoff and fills once the image exists; stops retrying when disposed', async () => {
    let imageBuilt = false;
    let attempts = 0;
    const pool = new WarmPool(
      template,
      async () => {
        attempts++;
        if (!imageBuilt) throw new Error('no image built for template code-executor');
        return fake(attempts);
      },
      async () => undefined,
      { minMs: 20, maxMs: 40 },
    );
    await pool.fill();
    assert.match(pool.lastError?.message ?? '', /no image/);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(attempts >= 3, `it kept trying on its own (${attempts} attempts)`);
    imageBuilt = true;
    for (let i = 0; i < 50 && pool.size < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(pool.size, 2);
    assert.equal(pool.lastError, undefined);
    pool.dispose();
    const stopped = new WarmPool(
      template,
      async () => {
        attempts++;
        throw new Error('still failing');
      },
      async () => undefined,
      { minMs: 10, maxMs: 10 },
    );
    await stopped.fill();
    stopped.dispose();
    const before = attempts;
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(attempts, before, 'a disposed pool does not retry');
  });
});
