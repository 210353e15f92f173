// Task output dirs on the kernel's outputs tmpfs (real kernel, real sandboxes, Docker and Podman): the filesystem caps
// bytes and inodes, the state volume never fills, and a patch set survives a kernel restart for review and merge.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TaskEvent } from '../../../protocol/src/agent';
import { applyOps } from '../../../core/src/apply/apply';
import type { RpcClient } from '../../../protocol/src/rpc-client';
import { KernelSupervisor } from '../../../bootstrap';
import { ENGINES } from '../kernel/helpers';
import { call, fin, readTree, removeKernel, runTask, sampleWorkspace, text, writeReplay } from './helpers';

const MiB = 1024 * 1024;
const results = (events: TaskEvent[]) => events.flatMap((e) => (e.type === 'tool-result' ? [e.result] : []));
const freeBytes = (dir: string) => {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
};
/** Allocated bytes under dir (what it really costs the disk; holes are free). */
function allocated(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += fs.lstatSync(p).blocks * 512;
    if (e.isDirectory()) n += allocated(p);
  }
  return n;
}
const node = (script: string) => ['node', '-e', script];
// What is written after a command goes under src/: rootful Podman gives a new volume's root the owner of the image's
// /workspace (1000), so neither a sandbox nor the kernel running as root without capabilities (this test's root-owned
// workspace) can write the top level after the first command.
/** Runs each command with its stderr passed through (what the model sees), then says how it ended. */
const FILL = `const { spawnSync } = require('child_process'); process.chdir('src');
for (const argv of [['fallocate', '-l', '4G', 'big.img'], ['dd', 'if=/dev/zero', 'of=fill.bin', 'bs=1M', 'count=4096']]) {
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit' });
  console.log(argv[0] + ' exit ' + r.status);
}`;
const INODES = `const fs = require('fs'); process.chdir('src'); fs.mkdirSync('many'); let n = 0;
try { for (;; n++) fs.writeFileSync('many/' + n, ''); } catch (e) { console.log('created ' + n + ' then ' + e.code); }
fs.rmSync('many', { recursive: true });`;
const BINARY_AND_RENAME = `const fs = require('fs');
fs.writeFileSync('src/logo.bin', Buffer.from([0, 1, 2, 3, 255, 0, 7]));
fs.renameSync('src/report.js', 'src/summary.js');`;

for (const engine of ENGINES) {
  describe(`task outputs on the outputs tmpfs (${engine})`, function () {
    this.timeout(300_000);
    let sup: KernelSupervisor;
    let client: RpcClient;
    let base: string;
    let workspace: string;
    let stateRoot: string;
    const opts = () => ({ workspace, stateRoot, runtime: engine, maxRestarts: 3, outputsInodes: 2000 });

    before(async () => {
      ({ base, workspace, stateRoot } = sampleWorkspace());
      writeReplay(workspace, 'fill', [
        [...call(0, 'f1', 'fs.write', { path: 'notes.txt', content: 'kept\n' }), fin('tool-calls')],
        [...call(0, 'f2', 'exec', { argv: node(FILL) }), fin('tool-calls')],
        [text('The disk is full; I stop here.'), fin('stop')],
      ]);
      writeReplay(workspace, 'inodes', [
        [...call(0, 'i1', 'exec', { argv: node(INODES) }), fin('tool-calls')],
        [...call(0, 'i2', 'fs.write', { path: 'src/after.txt', content: 'written after the inodes came back\n' }), fin('tool-calls')],
        [text('done'), fin('stop')],
      ]);
      writeReplay(workspace, 'restart', [
        [...call(0, 'r1', 'fs.write', { path: 'CHANGELOG.md', content: 'renamed report.js\n' }), fin('tool-calls')],
        [...call(0, 'r2', 'exec', { argv: node(BINARY_AND_RENAME) }), fin('tool-calls')],
        [text('done'), fin('stop')],
      ]);
      sup = await KernelSupervisor.start({ ...opts(), outputsSize: '64m' });
      client = await sup.ready();
    });
    after(async () => {
      if (sup) await removeKernel(sup);
      fs.rmSync(base, { recursive: true, force: true });
    });

    it("sandboxes keep no engine log of what commands print (a command can write to the agent's stdout)", async () => {
      // The kernel's warm pools fill in the background after it starts.
      const holder = { label: [`airlock.holder=container:airlock-kernel-${sup.paths.id}`] };
      let mine: Awaited<ReturnType<typeof sup.engine.docker.listContainers>> = [];
      for (let i = 0; i < 600 && !mine.length; i++) {
        mine = await sup.engine.docker.listContainers({ all: true, filters: holder });
        if (!mine.length) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(mine.length > 0, 'the kernel has pooled sandboxes');
      // A pool may replace a sandbox between the listing and the inspection (it is gone then): judge the ones still there.
      let seen = 0;
      for (const c of mine) {
        const info = await sup.engine.docker
          .getContainer(c.Id)
          .inspect()
          .catch((e: { statusCode?: number }) => {
            if (e.statusCode === 404) return undefined;
            throw e;
          });
        if (!info) continue;
        seen++;
        assert.equal(info.HostConfig.LogConfig?.Type, 'none', c.Names[0]);
      }
      assert.ok(seen > 0, 'at least one pooled sandbox was inspected');
    });

    it('creating files past nr_inodes fails with ENOSPC; the task goes on and its set works', async () => {
      const run = await runTask(client, { prompt: 'Make many files', replay: '.replays/inodes.jsonl', mode: 'explore' });
      const done = await run.finished;
      assert.equal(done.status, 'completed', done.message);
      const r = results(run.events);
      const m = /created (\d+) then ENOSPC/.exec(r[0].content);
      assert.ok(m, r[0].content);
      assert.ok(Number(m[1]) > 1000 && Number(m[1]) < 2000, m[1]);
      assert.equal(r[1].ok, true, r[1].content);
      const { set } = await client.request('review/show', { id: run.ready[0].setId });
      assert.deepEqual(
        set.files.map((f) => `${f.type} ${f.path}`),
        ['add src/after.txt'],
      );
    });

    it('a patch set generated before a kernel restart is reviewed and merged after it (binary and rename contents kept)', async () => {
      const pristine = readTree(workspace);
      const run = await runTask(client, { prompt: 'Rename the report', replay: '.replays/restart.jsonl', mode: 'explore' });
      const done = await run.finished;
      assert.equal(done.status, 'completed', done.message);
      const id = run.ready[0].setId;
      const old = client;
      await sup.restart();
      client = await sup.ready();
      assert.notEqual(client, old);
      const { set } = await client.request('review/show', { id });
      assert.deepEqual(
        set.files.map((f) => `${f.type} ${f.path}`),
        ['add CHANGELOG.md', 'binary src/logo.bin', 'rename src/summary.js'],
      );
      await client.request('review/decide', { setId: id, items: set.files.map((f) => ({ path: f.path, decision: 'accept' as const })) });
      const plan = await client.request('review/plan', { id });
      assert.deepEqual(plan.conflicts, []);
      const blobs = {
        read: async (hash: string, offset: number, length: number) =>
          Buffer.from((await client.request('review/blob', { id, hash, offset, length: Math.min(length, 4 * MiB) })).data, 'base64'),
      };
      const res = await applyOps(plan.ops, { workspace, journalDir: path.join(base, 'journal'), setId: id, blobs });
      const merged = {
        id,
        mergeId: res.mergeId,
        outcome: 'merged' as const,
        paths: res.paths,
        completePaths: plan.completePaths,
        appliedHunks: plan.appliedHunks,
      };
      assert.equal((await client.request('review/merged', merged)).status, 'merged');
      assert.deepEqual([...fs.readFileSync(path.join(workspace, 'src/logo.bin'))], [0, 1, 2, 3, 255, 0, 7]);
      assert.equal(fs.readFileSync(path.join(workspace, 'src/summary.js'), 'utf8'), pristine['src/report.js']);
      assert.equal(fs.existsSync(path.join(workspace, 'src/report.js')), false);
      assert.equal(fs.readFileSync(path.join(workspace, 'CHANGELOG.md'), 'utf8'), 'renamed report.js\n');
    });

    it('fallocate -l 4G and dd past the cap fail with ENOSPC in the sandbox; the state volume does not fill; the set has what fit', async () => {
      const free0 = freeBytes(sup.paths.state);
      const used0 = allocated(sup.paths.state);
      const run = await runTask(client, { prompt: 'Fill the disk', replay: '.replays/fill.jsonl', mode: 'explore' });
      const done = await run.finished;
      assert.equal(done.status, 'completed', done.message);
      const r = results(run.events);
      assert.deepEqual(
        r.map((x) => [x.name, x.ok]),
        [
          ['fs.write', true],
          ['exec', true],
        ],
      );
      assert.match(r[1].content, /fallocate: fallocate failed: No space left on device/);
      assert.match(r[1].content, /fallocate exit 1/);
      assert.match(r[1].content, /dd: error writing 'fill\.bin': No space left on device/);
      assert.match(r[1].content, /dd exit 1/);
      // The state volume (audit log, sets) is untouched by what the sandbox wrote: a 4 GiB reservation never reached it.
      assert.ok(allocated(sup.paths.state) - used0 < 4 * MiB, `state dir grew by ${(allocated(sup.paths.state) - used0) / MiB} MiB`);
      // Other processes share this disk, so free space is checked loosely (a reservation that got through is 4 GiB).
      assert.ok(free0 - freeBytes(sup.paths.state) < 1024 * MiB, `free space dropped by ${(free0 - freeBytes(sup.paths.state)) / MiB} MiB`);
      // The patch set holds what fit: the edit, the empty file fallocate left and the part dd wrote.
      const { set } = await client.request('review/show', { id: run.ready[0].setId });
      assert.deepEqual(
        set.files.map((f) => `${f.type} ${f.path}`),
        ['add notes.txt', 'add src/big.img', 'binary src/fill.bin'],
      );
      const fill = set.files[2];
      assert.ok(fill.type === 'binary' && fill.size > 32 * MiB && fill.size <= 64 * MiB, JSON.stringify(fill));
      // Its kept copy (state volume) is sparse: zeros cost no blocks, and review/blob serves them.
      const kept = path.join(sup.paths.state, 'patches', 'files', set.id, 'src/fill.bin');
      assert.equal(fs.statSync(kept).size, fill.size);
      assert.ok(fs.statSync(kept).blocks * 512 < MiB, `kept copy allocates ${fs.statSync(kept).blocks * 512} bytes`);
      const blob = await client.request('review/blob', { id: set.id, hash: fill.newHash, offset: fill.size - 10, length: 100 });
      assert.deepEqual([...Buffer.from(blob.data, 'base64')], new Array(10).fill(0));
      // The task's output dir is gone from the tmpfs once the set exists: the next task has the whole cap. (Not on
      // rootful Podman with a root-owned workspace: Podman chowns a new volume's root to the owner of the image's
      // /workspace (1000), and the kernel, without CAP_DAC_OVERRIDE, cannot delete what the sandbox wrote there.)
      if (engine === 'docker') assert.deepEqual(fs.readdirSync(await outputsMountpoint()), []);
    });

    it('a changed outputs size replaces the volume and the kernel (it is part of the kernel fit)', async () => {
      const info = await sup.engine.docker.getContainer(`airlock-kernel-${sup.paths.id}`).inspect();
      const before = fs.statfsSync(`/proc/${info.State.Pid}/root/outputs`);
      assert.equal(before.blocks * before.bsize, 64 * MiB);
      sup.dispose();
      const said: string[] = [];
      sup = await KernelSupervisor.start({ ...opts(), outputsSize: '32m' }, { progress: (l) => said.push(l) });
      client = await sup.ready();
      assert.ok(
        said.some((l) => /replacing the kernel container and its outputs volume/.test(l)),
        said.join('\n'),
      );
      const kernel = await sup.engine.docker.getContainer(`airlock-kernel-${sup.paths.id}`).inspect();
      const st = fs.statfsSync(`/proc/${kernel.State.Pid}/root/outputs`);
      assert.deepEqual([st.blocks * st.bsize, st.files], [32 * MiB, 2000]);
      // The agent's edits there are charged to the kernel's memory: its limit has room for a full tmpfs.
      assert.equal(kernel.HostConfig.Memory, 1024 * MiB + 32 * MiB);
    });

    async function outputsMountpoint(): Promise<string> {
      return (await sup.engine.docker.getVolume(`airlock-outputs-${sup.paths.id}`).inspect()).Mountpoint;
    }
  });
}
