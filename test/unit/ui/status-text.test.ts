// The status bar says "ready" only when the kernel answers and its sandboxes can run (images found, pools filled).
import assert from 'node:assert/strict';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import { sandboxChecks } from '../../../protocol/src/sandbox-health';
import { statusText } from '../../../extension/src/kernel/statusText';

const ready = { type: 'ready' as const, client: {} as RpcClient };

describe('status bar text', () => {
  it('is "Airlock: ready" when every sandbox template has an image and no pool failed', () => {
    const checks = sandboxChecks({ 'code-executor': { image: 'img', pool: { target: 2, ready: 1 } } }, true);
    assert.deepEqual(statusText(ready, checks).slice(0, 2), ['$(shield)', 'Airlock: ready']);
  });

  it('says "sandbox images missing", not "ready", when an image is missing, with the build command in the tooltip', () => {
    const checks = sandboxChecks(
      {
        'code-executor': {
          imageError: {
            code: 'SANDBOX_NO_IMAGE',
            message: 'no image built for template code-executor',
            hint: 'build it: sandbox-images.ts docker',
          },
          pool: { target: 2, ready: 0, error: 'no image built for template code-executor' },
        },
        'ai-provider': { image: 'img', pool: { target: 0, ready: 0 } },
      },
      true,
    );
    const [icon, text, tip] = statusText(ready, checks);
    assert.equal(icon, '$(warning)');
    assert.equal(text, 'Airlock: sandbox images missing, warm pool failed');
    assert.match(tip, /no sandbox image for code-executor[^]*build it: sandbox-images\.ts docker/);
  });

  it('says "warm pool failed" when only a pool failed to fill', () => {
    const checks = sandboxChecks({ 'code-executor': { image: 'img', pool: { target: 2, ready: 0, error: 'OCI runtime error' } } }, true);
    assert.equal(statusText(ready, checks)[1], 'Airlock: warm pool failed');
    assert.match(statusText(ready, checks)[2], /code-executor 0\/2 ready \(OCI runtime error\)/);
  });

  it('keeps the other states as they were', () => {
    assert.equal(statusText({ type: 'starting', detail: 'x' })[1], 'Airlock: starting');
    assert.equal(statusText({ type: 'stopped' })[1], 'Airlock: stopped');
  });

  it('is never "ready" while images are unchecked, being prepared, or failed to prepare, whatever the checks say', () => {
    const good = sandboxChecks({ 'code-executor': { image: 'img', pool: { target: 0, ready: 0 } } }, true);
    assert.deepEqual(statusText(ready, [], { type: 'unchecked' }).slice(0, 2), ['$(loading~spin)', 'Airlock: checking images']);
    const [, text, tip] = statusText(ready, good, { type: 'preparing', detail: '[sandbox-node] importing' });
    assert.equal(text, 'Airlock: preparing images');
    assert.match(tip, /\[sandbox-node\] importing/);
    const failed = statusText(ready, good, { type: 'failed', message: 'debootstrap needs root', hint: 'sudo airlock images prepare' });
    assert.deepEqual(failed.slice(0, 2), ['$(error)', 'Airlock: images failed']);
    assert.match(failed[2], /debootstrap needs root\nsudo airlock images prepare\nRun Airlock: Prepare Images/);
    assert.equal(statusText(ready, good)[1], 'Airlock: ready');
  });
});
