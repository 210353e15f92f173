// `airlock images` against a real Docker: prepare builds or finds every image, list shows them with tag, size and use,
// prune removes only this installation's unused images and never another installation's.
import * as assert from 'node:assert/strict';
import Docker from 'dockerode';
import { detectEngine } from '../../../bootstrap';
import { listImages, pruneImages } from '../../../templates/builder/images';
import type { CliIO } from '../../../cli/src/command';
import { runCli } from '../../../cli/src/main';
import { KERNEL_IMAGE_ROLE } from '../../../protocol/src/images';
import { ensureNodeImage, type NodeImageSpec } from '../../../templates/builder/node-rootfs';

function io(): CliIO & { lines: string[]; errs: string[] } {
  const lines: string[] = [];
  const errs: string[] = [];
  return {
    lines,
    errs,
    out: (l) => lines.push(l),
    err: (l) => errs.push(l),
    readStdin: async () => '',
    cwd: '/tmp',
    env: { ...process.env, AIRLOCK_RUNTIME: 'docker' },
  };
}

describe('airlock images (Docker)', function () {
  this.timeout(600_000);
  const docker = new Docker();
  const repo = `airlock/images-test-${process.pid}`;
  // Tiny stand-ins labelled as kernel images (kernel images are chosen by tag, never by label: no kernel picks these up).
  const tiny = (n: string, installation: string, sub = ''): NodeImageSpec => ({
    repo: `${repo}${sub}`,
    nodeBinary: '/bin/true',
    files: {},
    texts: { '/v': n },
    installation,
    changes: [`LABEL airlock.owner=airlock airlock.role=${KERNEL_IMAGE_ROLE}`],
  });
  const exists = (tag: string) =>
    docker
      .getImage(tag)
      .inspect()
      .then(
        () => true,
        () => false,
      );
  after(async () => {
    for (const c of await docker.listContainers({ all: true, filters: { label: [`airlock.images-test=${process.pid}`] } })) {
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
    for (const owner of [`mine-${process.pid}`, `foreign-${process.pid}`]) {
      for (const img of await docker.listImages({ filters: { label: [`airlock.installation=${owner}`] } }))
        await docker
          .getImage(img.Id)
          .remove({ force: true })
          .catch(() => undefined);
    }
  });

  it('prepare builds or finds kernel, sandbox-node and code-executor; list shows each with its tag; prune spares a foreign image', async () => {
    const p = io();
    const t0 = Date.now();
    assert.equal(await runCli(['images', 'prepare', '--json'], p), 0, p.errs.join('\n'));
    console.log(`      prepare took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const prepared = JSON.parse(p.lines.join('\n')) as { engine: string; images: Array<{ kind: string; ref: string }> };
    assert.equal(prepared.engine, 'docker');
    assert.deepEqual(prepared.images.map((i) => i.kind).sort(), ['code-executor', 'kernel', 'sandbox-node']);
    for (const i of prepared.images) assert.ok(await exists(i.ref), `${i.ref} is on the engine`);

    const foreign = await ensureNodeImage(docker, tiny('foreign', `foreign-${process.pid}`));
    const l = io();
    assert.equal(await runCli(['images', 'list'], l), 0, l.errs.join('\n'));
    const text = l.lines.join('\n');
    for (const i of prepared.images) {
      assert.match(
        text,
        new RegExp(
          `^${i.kind} +${i.ref.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} +\\d+(\\.\\d)? [MG]B  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d  (in use|unused)`,
          'm',
        ),
        `${i.kind} ${i.ref} listed:\n${text}`,
      );
    }
    assert.match(
      text,
      new RegExp(`^kernel +${foreign.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} .* unused +installation foreign-${process.pid}$`, 'm'),
    );
    assert.doesNotMatch(text, /^missing:/m);

    const r = io();
    assert.equal(await runCli(['images', 'prune'], r), 0, r.errs.join('\n'));
    assert.match(r.lines.at(-1)!, /^removed \d+ image\(s\), \d+ MB; kept \d+/);
    assert.ok(await exists(foreign), "another installation's image is left alone");
    for (const i of prepared.images) assert.ok(await exists(i.ref), `${i.ref}: the newest of each kind stays`);
  });

  it("prune: only this installation's images that no container uses; the newest stays unless --all", async () => {
    const engine = await detectEngine({ runtime: 'docker' });
    const mine = `mine-${process.pid}`;
    const tick = () => new Promise((r) => setTimeout(r, 1100)); // Created is in seconds: keep the order unambiguous
    // One repository each: a build prunes its own repository's older tags, and these must coexist.
    const oldMine = await ensureNodeImage(docker, tiny('old', mine, 'a'));
    await tick();
    const used = await ensureNodeImage(docker, tiny('used', mine, 'b'));
    await docker.createContainer({ Image: used, Cmd: ['/usr/bin/node'], Labels: { 'airlock.images-test': String(process.pid) } });
    await tick();
    const newest = await ensureNodeImage(docker, tiny('newest', mine, 'c'));
    const foreign = await ensureNodeImage(docker, tiny('foreign', `foreign-${process.pid}`, 'd'));
    const listed = await listImages(engine, mine);
    assert.equal(listed.find((i) => i.tags.includes(used))?.containers, 1);
    assert.equal(listed.find((i) => i.tags.includes(foreign))?.mine, false);
    assert.equal(listed.find((i) => i.tags.includes(oldMine))?.mine, true);

    const r1 = await pruneImages(engine, { installation: mine });
    assert.deepEqual(
      r1.removed.flatMap((i) => i.tags),
      [oldMine],
    );
    assert.deepEqual(await Promise.all([oldMine, used, newest, foreign].map(exists)), [false, true, true, true]);
    const r2 = await pruneImages(engine, { installation: mine, all: true });
    assert.deepEqual(
      r2.removed.flatMap((i) => i.tags),
      [newest],
    );
    assert.deepEqual(
      await Promise.all([used, foreign].map(exists)),
      [true, true],
      "--all still spares images in use and other installations'",
    );
  });
});
