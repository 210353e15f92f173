// A clean machine: the kernel stops itself when idle (pool sandboxes gone, audited) and starts again on demand (docker
// and podman);
// `airlock gc` lists, then removes, this installation's leftovers and nothing else.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type Docker from 'dockerode';
import { detectEngine, KernelSupervisor, readConfig } from '../../../bootstrap';
import { gcMain } from '../../../cli/src/commands/gc';
import { applyGc, planGc } from '../../../core/src/gc/plan';
import { recordWorkspace, stateFolderId } from '../../../core/src/gc/record';
import { ENGINES, removeKernel, tempWorkspace } from '../kernel/helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const holderOf = (d: Docker, kernel: string) => d.listContainers({ all: true, filters: { label: [`airlock.holder=container:${kernel}`] } });

describe('a clean machine', function () {
  this.timeout(300_000);

  for (const engine of ENGINES)
    it(`idle (${engine}): the kernel records kernel.idle-stop, destroys its warm pools, exits 0, and the next command starts it again`, async () => {
      const ws = tempWorkspace();
      let sup = await KernelSupervisor.start({ ...ws, runtime: engine, idleMinutes: 0.1, maxRestarts: 5 });
      const d = sup.engine.docker;
      const kernel = `airlock-kernel-${sup.paths.id}`;
      try {
        const pool = await until('warm pool sandboxes', async () => {
          const l = await holderOf(d, kernel);
          return l.length ? l : undefined;
        });
        // Busy while a client is connected: well past the idle time, it still runs.
        await sleep(9_000);
        assert.equal((await d.getContainer(kernel).inspect()).State.Running, true, 'a connected client keeps it up');
        const t0 = Date.now();
        sup.dispose();
        const state = await until('the idle stop', async () => {
          const i = await d.getContainer(kernel).inspect();
          return i.State.Running ? undefined : i.State;
        });
        const stoppedAfter = Date.now() - t0;
        assert.equal(state.ExitCode, 0, 'a clean exit');
        assert.ok(stoppedAfter >= 5_000, `not before the idle time (${stoppedAfter} ms)`);
        assert.deepEqual(await holderOf(d, kernel), [], `its ${pool.length} pool sandbox(es) are gone`);
        const db = new Database(path.join(sup.paths.state, 'audit.db'), { readonly: true });
        const last = db
          .prepare("SELECT action FROM entries WHERE action IN ('kernel.idle-stop', 'sandbox.destroyed') ORDER BY seq")
          .all() as { action: string }[];
        db.close();
        const stop = last.findIndex((e) => e.action === 'kernel.idle-stop');
        assert.ok(stop >= 0, 'kernel.idle-stop is in the audit log');
        assert.ok(
          last.slice(stop + 1).some((e) => e.action === 'sandbox.destroyed'),
          'recorded before the sandboxes were destroyed',
        );
        // The next command (the CLI and the extension both go through the supervisor) starts the stopped container again.
        const t1 = Date.now();
        sup = await KernelSupervisor.start({ ...ws, runtime: engine, idleMinutes: 0.1, maxRestarts: 5 });
        const coldMs = Date.now() - t1;
        await (await sup.ready()).request('kernel/ping', {});
        assert.equal((await d.getContainer(kernel).inspect()).State.Running, true);
        process.stdout.write(`      ${engine}: idle stop ${stoppedAfter} ms after the last client left; started again in ${coldMs} ms\n`);
      } finally {
        await removeKernel(sup);
        for (const c of await holderOf(d, kernel))
          await d
            .getContainer(c.Id)
            .remove({ force: true })
            .catch(() => undefined);
      }
    });

  it('gc --dry-run lists an old image, a stopped kernel, volumes and a state folder of deleted workspaces; gc removes only those', async () => {
    const engine = await detectEngine(readConfig({ workspace: os.tmpdir(), runtime: 'docker' }));
    const d = engine.docker;
    const tag = crypto.randomBytes(4).toString('hex');
    const mine = `gc-test-${tag}`;
    const other = `gc-other-${tag}`;
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-gc-'));
    const live = path.join(base, 'live');
    const deleted = path.join(base, 'deleted');
    fs.mkdirSync(live);
    const stateBase = path.join(base, 'state');
    const made = { containers: [] as string[], volumes: [] as string[], images: [] as string[] };
    // Images: committed from the smallest Airlock image, labelled as this (fake) installation's, an older and a newer one.
    const [small] = (await d.listImages({ filters: { label: ['airlock.role=kernel-image'] } })).sort((a, b) => a.Size - b.Size);
    const seed = await d.createContainer({ Image: small.Id, Cmd: ['/usr/bin/node', '-e', '0'] });
    const image = async (inst: string, name: string) => {
      const r = (await seed.commit({
        repo: `localhost/airlock-gc-test/${name}`,
        tag,
        changes: `LABEL airlock.owner=airlock\nLABEL airlock.installation=${inst}\nLABEL airlock.image-for=gc-test`,
      })) as { Id: string };
      made.images.push(r.Id);
      return r.Id;
    };
    try {
      const oldImg = await image(mine, 'old');
      await sleep(1_100); // image times are in seconds
      const newImg = await image(mine, 'new');
      const otherImg = await image(other, 'other');
      const labels = (ws: string, extra: Record<string, string> = {}) => ({
        'airlock.owner': 'airlock',
        'airlock.workspace': ws,
        ...extra,
      });
      const container = async (img: string, l: Record<string, string>, start = false) => {
        const c = await d.createContainer({
          Image: img,
          Cmd: ['/usr/bin/node', '-e', 'setTimeout(() => {}, 600000)'],
          Labels: l,
          name: `airlock-gc-test-${made.containers.length}-${tag}`,
        });
        made.containers.push(c.id);
        if (start) await c.start();
        return c.id;
      };
      const goneKernel = await container(newImg, labels(deleted, { 'airlock.role': 'kernel' }));
      const liveKernel = await container(newImg, labels(live, { 'airlock.role': 'kernel' }));
      const otherKernel = await container(otherImg, labels(deleted, { 'airlock.role': 'kernel' }));
      const runningKernel = await container(newImg, labels(deleted, { 'airlock.role': 'kernel' }), true);
      const volume = async (name: string, l: Record<string, string>) => {
        await d.createVolume({ Name: `${name}-${tag}`, Labels: l });
        made.volumes.push(`${name}-${tag}`);
        return `${name}-${tag}`;
      };
      const goneOutputs = await volume('airlock-gc-outputs-gone', labels(deleted, { 'airlock.role': 'outputs' }));
      const liveOutputs = await volume('airlock-gc-outputs-live', labels(live, { 'airlock.role': 'outputs' }));
      const orphanScratch = await volume('airlock-gc-scratch', {
        'airlock.owner': 'airlock',
        'airlock.role': 'scratch',
        'airlock.holder': `container:airlock-kernel-gone${tag}`,
      });
      const goneState = path.join(stateBase, `ws-${stateFolderId(deleted)}`);
      const liveState = path.join(stateBase, `ws-${stateFolderId(live)}`);
      const unknownState = path.join(stateBase, 'ws-0123456789ab');
      for (const [root, w] of [
        [goneState, deleted],
        [liveState, live],
      ]) {
        fs.mkdirSync(path.join(root, 'state'), { recursive: true });
        recordWorkspace(root, w);
      }
      fs.writeFileSync(path.join(goneState, 'state', 'sessions.db'), 'x'.repeat(4096));
      fs.mkdirSync(unknownState, { recursive: true });

      const lines: string[] = [];
      const io = { out: (l: string) => lines.push(l), err: () => {}, readStdin: async () => '', cwd: live, env: process.env };
      assert.equal(await gcMain(['--dry-run'], io, { engine: async () => engine, stateBase: () => stateBase, installation: mine }), 0);
      const want = [
        `container airlock-gc-test-0-${tag}`,
        `volume    ${goneOutputs}`,
        `volume    ${orphanScratch}`,
        `image     localhost/airlock-gc-test/old:${tag}`,
        `state     ws-${stateFolderId(deleted)}`,
      ];
      for (const w of want)
        assert.ok(
          lines.some((l) => l.startsWith(`would remove ${w}`)),
          `dry run lists ${w}:\n${lines.join('\n')}`,
        );
      for (const i of [1, 2, 3])
        assert.ok(
          !lines.some((l) => l.startsWith(`would remove container airlock-gc-test-${i}-${tag}`)),
          'keeps live, foreign, running kernels',
        );
      assert.ok(
        !lines.some((l) => l.startsWith('would remove') && (l.includes(liveOutputs) || l.includes('/new:') || l.includes('/other:'))),
      );
      assert.ok(
        lines.some((l) => l.startsWith('keeps') && l.includes('ws-0123456789ab')),
        'a folder without a record is kept, and said so',
      );
      assert.ok(fs.existsSync(goneState) && (await d.getImage(oldImg).inspect()).Id, 'a dry run removes nothing');

      // Everything gc plans is this installation's or an orphan: no running container, no other installation's image.
      const plan = await planGc(d, { stateBase, installation: mine, local: true });
      const running = new Set((await d.listContainers()).map((c) => c.Id));
      assert.ok(
        plan.remove.every((i) => i.kind !== 'container' || !running.has(i.id) || i.force),
        'only orphan sandboxes are removed while running',
      );
      assert.ok(!plan.remove.some((i) => i.id === otherImg || i.id === otherKernel || i.id === runningKernel));
      // Apply only what this test made (other engineers' leftovers on this shared engine are theirs to collect).
      const ours = new Set([goneKernel, goneOutputs, orphanScratch, oldImg, goneState]);
      const r = await applyGc(d, { remove: plan.remove.filter((i) => ours.has(i.id)), kept: [] });
      assert.deepEqual(r.failed, []);
      assert.equal(r.removed.length, ours.size);
      const exists = async (f: () => Promise<unknown>) =>
        f().then(
          () => true,
          () => false,
        );
      assert.equal(await exists(() => d.getContainer(goneKernel).inspect()), false);
      assert.equal(await exists(() => d.getVolume(goneOutputs).inspect()), false);
      assert.equal(await exists(() => d.getVolume(orphanScratch).inspect()), false);
      assert.equal(await exists(() => d.getImage(oldImg).inspect()), false);
      assert.equal(fs.existsSync(goneState), false);
      for (const c of [liveKernel, otherKernel, runningKernel]) assert.equal(await exists(() => d.getContainer(c).inspect()), true);
      assert.equal(await exists(() => d.getVolume(liveOutputs).inspect()), true);
      for (const i of [newImg, otherImg]) assert.equal(await exists(() => d.getImage(i).inspect()), true);
      assert.ok(fs.existsSync(liveState) && fs.existsSync(unknownState));
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
    }
  });
});
