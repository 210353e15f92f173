// Importing a root filesystem tar (core/src/engine/import-image.ts) on Docker and Podman: the image has its tag and
// changes, and the engine's host keeps no copy of the upload (Podman's compatible import left one per image in /var/tmp).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { importImageTar } from '../../../core/src/engine/import-image';

const ENGINES = [
  ['docker', '/var/run/docker.sock'],
  ['podman', '/run/podman/podman.sock'],
] as const;

/** Files in the temporary folders an engine's service writes uploads to, with exactly `size` bytes. */
function copiesOf(size: number): string[] {
  return ['/var/tmp', os.tmpdir()].flatMap((d) =>
    fs
      .readdirSync(d)
      .map((f) => path.join(d, f))
      .filter((f) => {
        try {
          const st = fs.statSync(f);
          return st.isFile() && st.size === size;
        } catch {
          return false;
        }
      }),
  );
}

for (const [engine, socketPath] of ENGINES) {
  describe(`importing a rootfs tar on ${engine}`, function () {
    this.timeout(60_000);
    const docker = new Docker({ socketPath });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-import-'));
    const repo = `localhost/airlock/test-import-${engine}`;
    after(async () => {
      await docker
        .getImage(`${repo}:t1`)
        .remove({ force: true })
        .catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('stores the image with its changes, and leaves no copy of the upload behind', async () => {
      const root = path.join(dir, 'root');
      fs.mkdirSync(root);
      // Random content of an odd size: a leftover copy is recognised by its size alone.
      fs.writeFileSync(path.join(root, 'payload'), crypto.randomBytes(3 * 1024 * 1024 + 123));
      const tar = path.join(dir, 'root.tar');
      execFileSync('tar', ['--numeric-owner', '-C', root, '-cf', tar, '.']);
      const size = fs.statSync(tar).size;
      const id = await importImageTar(docker, fs.createReadStream(tar), {
        repo,
        tag: 't1',
        changes: ['ENV AIRLOCK_IMPORT=yes', 'CMD ["/payload"]'],
      });
      assert.match(id, /^sha256:[0-9a-f]{64}$/);
      await docker.getImage(id).tag({ repo, tag: 't1' });
      const info = await docker.getImage(`${repo}:t1`).inspect();
      assert.equal(info.Id.replace(/^sha256:/, ''), id.replace(/^sha256:/, ''));
      assert.ok(info.Config.Env?.includes('AIRLOCK_IMPORT=yes'), JSON.stringify(info.Config.Env));
      assert.deepEqual(info.Config.Cmd, ['/payload']);
      assert.deepEqual(copiesOf(size), [], 'the engine kept a copy of the uploaded tar');
    });
  });
}
