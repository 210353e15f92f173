// A deleted checkout (Docker and Podman): `airlock gc` removes its image, stopped kernel, sandbox and volumes once its folder is
// gone, and keeps them while the folder exists or while a living installation records using the image.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectEngine, readConfig } from '../../../bootstrap';
import { gcMain } from '../../../cli/src/commands/gc';
import { applyGc, type GcItem, type GcPlan } from '../../../core/src/gc/plan';
import { recordInstallation } from '../../../core/src/gc/installations';
import { type Assets, installationIdOf, resolveAssets } from '../../../protocol/src/node/assets';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const runtime of ['docker', 'podman'] as const)
  describe(`gc: leftovers of a deleted installation (${runtime})`, function () {
    this.timeout(120_000);

    it('removes its image, stopped kernel, sandbox and volumes only once its folder is gone and no living one uses the image', async () => {
      const engine = await detectEngine(readConfig({ workspace: os.tmpdir(), runtime }));
      const d = engine.docker;
      const tag = crypto.randomBytes(4).toString('hex');
      const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-gc-orphan-')));
      const [root, other, ws, stateBase] = ['deleted-checkout', 'other-checkout', 'ws', 'state'].map((n) => path.join(base, n));
      for (const p of [root, other, ws]) fs.mkdirSync(p);
      const uid = process.getuid?.() ?? 0;
      const made = { containers: [] as string[], volumes: [] as string[], images: [] as string[] };
      // The smallest kernel image (it has node); by tag: Podman's kernel images made before the label fix have no role.
      const kernels = await d.listImages({ filters: { label: ['airlock.inputs'] } });
      const [small] = kernels.filter((i) => i.RepoTags?.some((t) => t.includes('airlock/kernel:'))).sort((a, b) => a.Size - b.Size);
      const seed = await d.createContainer({ Image: small.Id, Cmd: ['/usr/bin/node', '-e', '0'] });
      // A kind of its own, so that the test decides which image is the newest of it on this shared engine.
      const image = async (name: string, instRoot: string) => {
        const labels = {
          'airlock.owner': 'airlock',
          'airlock.role': 'gc-test', // not the seed's kernel-image: the kind is the image-for below
          'airlock.image-for': `gc-orphan-${tag}`,
          'airlock.installation': installationIdOf(instRoot, uid),
          'airlock.installation-root': instRoot,
          'airlock.installation-uid': String(uid),
        };
        const changes = Object.entries(labels)
          .map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`)
          .join('\n');
        const r = (await seed.commit({ repo: `localhost/airlock-gc-orphan/${name}`, tag, changes })) as { Id: string };
        const id = r.Id.startsWith('sha256:') ? r.Id : `sha256:${r.Id}`; // Podman's commit answers without the prefix
        made.images.push(id);
        return id;
      };
      // Podman's default rlimits exceed this host's hard limits (as bootstrap/kernel.ts says).
      const Ulimits =
        runtime === 'podman'
          ? [
              { Name: 'nofile', Soft: 1024, Hard: 1024 },
              { Name: 'nproc', Soft: 4096, Hard: 4096 },
            ]
          : undefined;
      const id12 = crypto.randomBytes(6).toString('hex');
      const kernelName = `airlock-kernel-${id12}`;
      try {
        const orphanImg = await image('deleted', root);
        await sleep(1_100); // image times are in seconds: the other installation's is the newest of the kind
        const newerImg = await image('other', other);
        const volume = async (name: string, labels: Record<string, string>) => {
          await d.createVolume({ Name: name, Labels: { 'airlock.owner': 'airlock', ...labels } });
          made.volumes.push(name);
          return name;
        };
        const outputs = await volume(`airlock-outputs-${id12}`, { 'airlock.role': 'outputs', 'airlock.workspace': ws });
        const scratch = await volume(`airlock-vol-${tag}`, { 'airlock.role': 'scratch', 'airlock.holder': `container:${kernelName}` });
        const kernel = await d.createContainer({
          name: kernelName,
          Image: orphanImg,
          Cmd: ['/usr/bin/node', '-e', '0'],
          Labels: { 'airlock.owner': 'airlock', 'airlock.role': 'kernel', 'airlock.workspace': ws },
          HostConfig: { Binds: [`${outputs}:/outputs`], Ulimits },
        });
        made.containers.push(kernel.id);
        await kernel.start();
        await kernel.wait(); // a stopped kernel
        const sandbox = await d.createContainer({
          name: `airlock-gc-orphan-sbx-${tag}`,
          Image: orphanImg,
          Cmd: ['/usr/bin/node', '-e', 'setTimeout(() => {}, 600000)'],
          Labels: { 'airlock.owner': 'airlock', 'airlock.holder': `container:${kernelName}` },
          HostConfig: { Ulimits },
        });
        made.containers.push(sandbox.id);
        await sandbox.start();
        const ours = new Set([orphanImg, kernel.id, sandbox.id, outputs, scratch]);

        const dryRun = async (): Promise<GcPlan> => {
          const lines: string[] = [];
          const io = { out: (l: string) => lines.push(l), err: () => {}, readStdin: async () => '', cwd: ws, env: process.env };
          const mine = `gc-orphan-me-${tag}`;
          const deps = { engine: async () => engine, stateBase: () => stateBase, installation: mine };
          assert.equal(await gcMain(['--dry-run', '--json'], io, deps), 0);
          return JSON.parse(lines.join('\n')) as GcPlan;
        };
        const planned = (p: GcPlan) => p.remove.filter((i) => ours.has(i.id) || i.id === newerImg);

        assert.deepEqual(planned(await dryRun()), [], 'its folder exists: nothing of it is touched');

        fs.rmSync(root, { recursive: true });
        // A living installation records using the image (an identical checkout found it by its tag): it stays, and so
        // does everything made from it.
        const assetsOther = { ...resolveAssets(), root: other } as Assets;
        recordInstallation(stateBase, [`localhost/airlock-gc-orphan/deleted:${tag}`], assetsOther, uid);
        let p = await dryRun();
        assert.deepEqual(planned(p), [], 'claimed by the living installation');
        const keptWhy = p.kept.find((k) => k.id === orphanImg)?.reason;
        assert.equal(keptWhy, `its installation ${root} no longer exists, but the one at ${other} uses it`);

        // That installation moved on: everything of the deleted one goes, with the reason.
        recordInstallation(stateBase, [`localhost/airlock-gc-orphan/other:${tag}`], assetsOther, uid);
        p = await dryRun();
        const found = planned(p);
        assert.deepEqual(found.map((i) => i.id).sort(), [...ours].sort(), JSON.stringify(found, null, 1));
        const reason = (id: string) => found.find((i: GcItem) => i.id === id)!.reason;
        assert.equal(reason(orphanImg), `its installation ${root} no longer exists`);
        assert.equal(reason(kernel.id), `a stopped kernel: its installation ${root} no longer exists`);
        assert.match(reason(sandbox.id), new RegExp(`its kernel \\(${kernelName}\\) is not running and its installation`));
        assert.match(reason(scratch), /no longer exists/);
        assert.equal(reason(outputs), `its kernel (${kernelName}) is removed too`);

        // Apply only what this test made (other engineers' leftovers on this shared engine are theirs to collect).
        const r = await applyGc(d, { remove: found, kept: [] });
        // Another start's sweep on this shared engine may collect them first (they are orphans to it too).
        assert.deepEqual(
          r.failed.filter((f) => !/no such|not found/i.test(f.error)),
          [],
        );
        const exists = (f: () => Promise<unknown>) =>
          f().then(
            () => true,
            () => false,
          );
        assert.equal(await exists(() => d.getImage(orphanImg).inspect()), false);
        assert.equal(await exists(() => d.getContainer(kernel.id).inspect()), false);
        assert.equal(await exists(() => d.getContainer(sandbox.id).inspect()), false);
        assert.equal(await exists(() => d.getVolume(outputs).inspect()), false);
        assert.equal(await exists(() => d.getVolume(scratch).inspect()), false);
        assert.equal(await exists(() => d.getImage(newerImg).inspect()), true, 'the living installation keeps its image');
      } finally {
        for (const c of made.containers)
          await d
            .getContainer(c)
            .remove({ force: true })
            .catch(() => undefined);
        await seed.remove({ force: true }).catch(() => undefined);
        for (const v of made.volumes)
          await d
            .getVolume(v)
            .remove()
            .catch(() => undefined);
        for (const i of made.images.reverse())
          await d
            .getImage(i)
            .remove({ force: true })
            .catch(() => undefined);
        fs.rmSync(base, { recursive: true, force: true });
      }
    });
  });
