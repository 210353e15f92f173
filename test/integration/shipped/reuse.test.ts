// A kernel container is reused only when it fits: a workspace folder deleted and cloned again at the same path gets a
// new kernel (the old one's bind mount still points at the deleted folder); images are pruned only by their builder.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { KernelSupervisor } from '../../../bootstrap';
import { ensureNodeImage, imageTag, type NodeImageSpec } from '../../../templates/builder/node-rootfs';
import { removeKernel, tempWorkspace } from '../kernel/helpers';

describe('kernel reuse and image pruning (Docker)', function () {
  this.timeout(180_000);

  it('re-cloning the workspace folder under a running kernel: the next start sees the new tree, and says why', async () => {
    const t = tempWorkspace();
    let sup = await KernelSupervisor.start({ ...t, runtime: 'docker' });
    const firstId = (await sup.engine.docker.getContainer(`airlock-kernel-${sup.paths.id}`).inspect()).Id;
    assert.equal((await (await sup.ready()).request('fs/read', { path: 'src/hello.ts' })).content, 'export const hello = "world";\n');
    sup.dispose(); // the container keeps running, as when VS Code closes

    // Same start again: reused as is.
    const said: string[] = [];
    sup = await KernelSupervisor.start({ ...t, runtime: 'docker' }, { progress: (l) => said.push(l) });
    assert.equal((await sup.engine.docker.getContainer(`airlock-kernel-${sup.paths.id}`).inspect()).Id, firstId);
    assert.equal(
      said.some((l) => l.startsWith('replacing')),
      false,
    );
    sup.dispose();

    fs.rmSync(t.workspace, { recursive: true });
    fs.mkdirSync(path.join(t.workspace, 'src'), { recursive: true });
    fs.writeFileSync(path.join(t.workspace, 'src', 'hello.ts'), 'export const hello = "again";\n');
    sup = await KernelSupervisor.start({ ...t, runtime: 'docker' }, { progress: (l) => said.push(l) });
    try {
      assert.equal((await (await sup.ready()).request('fs/read', { path: 'src/hello.ts' })).content, 'export const hello = "again";\n');
      assert.ok(
        said.some((l) => /replacing the kernel container .*workspace folder was replaced/.test(l)),
        said.join('\n'),
      );
    } finally {
      await removeKernel(sup);
    }
  });

  it("two checkouts on one engine: a build prunes only its own older images, never the other's", async () => {
    const docker = new Docker();
    const repo = `airlock/prune-test-${process.pid}`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-prune-'));
    // A tiny image: /bin/true stands in for node, one text file makes each build different.
    const spec = (n: string, installation: string): NodeImageSpec => ({
      repo,
      nodeBinary: '/bin/true',
      files: {},
      texts: { '/v': n },
      installation,
    });
    const exists = (tag: string) =>
      docker
        .getImage(tag)
        .inspect()
        .then(
          () => true,
          () => false,
        );
    try {
      const a1 = await ensureNodeImage(docker, spec('a1', 'checkout-a'));
      const b1 = await ensureNodeImage(docker, spec('b1', 'checkout-b'));
      assert.deepEqual([await exists(a1), await exists(b1)], [true, true], "building in b kept a's image");
      const a2 = await ensureNodeImage(docker, spec('a2', 'checkout-a'));
      assert.deepEqual([await exists(a1), await exists(a2), await exists(b1)], [false, true, true], 'a pruned only its own older image');
      assert.equal(a2, imageTag(spec('a2', 'checkout-a')));
    } finally {
      for (const img of await docker.listImages({ filters: { reference: [`localhost/${repo}`] } }))
        await docker
          .getImage(img.Id)
          .remove({ force: true })
          .catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
