// Rootless Podman out of the box: sandboxes of a rootless engine get a keep-id user namespace, and no tmpfs is staged
// through the host's /tmp (which rootless runc cannot write where /tmp is not world-writable).
import * as assert from 'node:assert/strict';
import { noTmpCopyUp, PodmanRuntime } from '../../../kernel/src/runtime/podman';

type HC = Parameters<PodmanRuntime['adjustHostConfig']>[0];
const adjust = (rt: PodmanRuntime, hc: HC) => (rt as unknown as { adjustHostConfig(h: HC): HC }).adjustHostConfig(hc);

describe('rootless Podman create options', () => {
  it('every tmpfs (and the /run, /var/tmp Podman adds to a read-only root) is mounted without copy-up', () => {
    const t = noTmpCopyUp({ '/tmp': 'rw,size=64m' });
    assert.deepEqual(Object.keys(t).sort(), ['/run', '/tmp', '/var/tmp']);
    for (const v of Object.values(t)) assert.match(v, /,notmpcopyup$/);
    assert.equal(noTmpCopyUp({ '/x': 'rw,tmpcopyup' })['/x'], 'rw,tmpcopyup', 'an explicit choice is kept');
  });

  it('a rootless engine (bootstrap sets AIRLOCK_ENGINE_ROOTLESS=1) gets keep-id; a rootful one does not', () => {
    const rootless = new PodmanRuntime('/nonexistent.sock', '/tmp/x', { AIRLOCK_ENGINE_ROOTLESS: '1' });
    const rootful = new PodmanRuntime('/nonexistent.sock', '/tmp/x', {});
    assert.equal((adjust(rootless, {}) as { UsernsMode?: string }).UsernsMode, 'keep-id');
    assert.equal((adjust(rootful, {}) as { UsernsMode?: string }).UsernsMode, undefined);
    assert.deepEqual(
      adjust(rootful, {}).Ulimits?.map((u) => u.Name),
      ['nofile', 'nproc'],
    );
    rootless.dispose();
    rootful.dispose();
  });
});
