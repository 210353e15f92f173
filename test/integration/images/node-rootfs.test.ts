// The offline image builder: content-hash tags, no rebuild when inputs are unchanged, a new image when they change.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { ensureNodeImage, INPUT_HASH_LABEL, type NodeImageSpec } from '../../../templates/builder/node-rootfs';

const ENGINES = [
  ['docker', '/var/run/docker.sock'],
  ['podman', '/run/podman/podman.sock'],
] as const;

for (const [engine, socketPath] of ENGINES) {
  describe(`offline node image builder on ${engine}`, function () {
    this.timeout(120_000);
    const docker = new Docker({ socketPath });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-img-'));
    const tags: string[] = [];
    after(async () => {
      for (const t of tags)
        await docker
          .getImage(t)
          .remove({ force: true })
          .catch(() => undefined);
    });

    it('builds once with progress, reuses the cached image, rebuilds when an input changes', async () => {
      fs.writeFileSync(path.join(dir, 'app.js'), 'console.log("v1:" + process.version)');
      const spec: NodeImageSpec = {
        repo: `airlock/test-img-${engine}`,
        files: { '/opt/app': dir },
        changes: ['CMD ["/usr/bin/node", "/opt/app/app.js"]'],
      };
      const lines: string[] = [];
      const t1 = await ensureNodeImage(docker, spec, (l) => lines.push(l));
      tags.push(t1);
      assert.match(t1, /^localhost\/airlock\/test-img-\w+:[0-9a-f]{16}$/);
      assert.ok(lines.some((l) => /assembling rootfs/.test(l)) && lines.some((l) => /done/.test(l)), lines.join('\n'));
      const info = await docker.getImage(t1).inspect();
      assert.match(info.Config.Labels[INPUT_HASH_LABEL], /^[0-9a-f]{64}$/);

      const again: string[] = [];
      assert.equal(await ensureNodeImage(docker, spec, (l) => again.push(l)), t1);
      assert.deepEqual(again, [], 'no rebuild when nothing changed');

      fs.writeFileSync(path.join(dir, 'app.js'), 'console.log("v2:" + process.version)');
      const t2 = await ensureNodeImage(docker, spec);
      tags.push(t2);
      assert.notEqual(t2, t1);
      const out = execFileSync(
        engine,
        [
          'run',
          '--rm',
          '--network',
          'none',
          ...(engine === 'podman' ? ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096'] : []),
          t2,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(out.trim(), `v2:${process.version}`);
      const left = (await docker.listImages()).filter((i) => (i.RepoTags ?? []).includes(t1));
      assert.equal(left.length, 0, 'the superseded build was pruned');
    });
  });
}
