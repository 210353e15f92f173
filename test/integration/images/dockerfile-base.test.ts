// Images built by the engine from templates/docker FROM a pinned base in a registry, under a simulated Electron extension
// host (process.versions.electron set, execPath the editor's binary, no `node` on PATH): `airlock images base` makes a
// Debian + Node.js base and pushes it to Debian's docker-registry on loopback; on a second dockerd with an empty store
// `airlock images prepare` (AIRLOCK_IMAGE_BASE) builds the kernel, sandbox-node and code-executor Dockerfiles through the
// engine's API FROM it, never the offline builder; a replayed task then runs its sandboxed command in those images and
// its patch set merges. Without a registry or a base, Electron refuses (IMAGE_NO_SOURCE) and builds nothing.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { assets } from '../../../protocol/src/node/assets';
import type { CliIO } from '../../../cli/src/command';
import { runCli } from '../../../cli/src/main';
import { BUILT_FROM_LABEL } from '../../../templates/builder/dockerfile-images';
import { execReplay } from '../shipped/replay';
import { startCleanDockerd, startRegistry } from './registry-fixture';

type Reg = Awaited<ReturnType<typeof startRegistry>>;
type Clean = Awaited<ReturnType<typeof startCleanDockerd>>;
const ROOT = assets().root;

describe('images from the Dockerfiles FROM a registry base, in a simulated Electron extension host', function () {
  this.timeout(600_000);
  let reg: Reg;
  let clean: Clean;
  let base: string;
  let tmp: string;
  let ws: string;
  let env: NodeJS.ProcessEnv;
  const t = { start: Date.now() };

  /** The CLI from the sources, looking like Electron: its execPath is the "editor", and PATH has no node. */
  function electronCli(args: string[], extra: NodeJS.ProcessEnv = {}) {
    return spawnSync(
      process.execPath,
      [
        '--require',
        require.resolve('tsx/cjs'),
        '--require',
        path.join(__dirname, 'electron-host.ts'),
        path.join(ROOT, 'cli', 'src', 'entry.ts'),
        ...args,
      ],
      { cwd: ws, encoding: 'utf8', env: { ...env, ...extra }, timeout: 400_000 },
    );
  }
  const images = async () => clean.docker.listImages();

  before(async () => {
    [reg, clean] = await Promise.all([startRegistry(), startCleanDockerd()]);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-dockerfile-'));
    ws = path.join(tmp, 'project');
    fs.cpSync(path.join(assets().examplesDir, 'sample-project'), ws, { recursive: true });
    const editor = path.join(tmp, 'code');
    fs.writeFileSync(editor, '#!/bin/sh\necho "the editor cannot run scripts" >&2\nexit 9\n', { mode: 0o755 });
    // No directory holding a `node` stays on PATH: the offline builder (which needs one) could not run.
    const noNode = (process.env.PATH ?? '')
      .split(path.delimiter)
      .filter((d) => d && !fs.existsSync(path.join(d, 'node')))
      .join(path.delimiter);
    const kept = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DOCKER_|CONTAINER_HOST|AIRLOCK_)/.test(k)));
    env = {
      ...kept,
      PATH: noNode,
      DOCKER_HOST: `unix://${clean.socket}`,
      AIRLOCK_RUNTIME: 'docker',
      ELECTRON_HOST_EXEC: editor,
      HOME: tmp,
      XDG_CONFIG_HOME: path.join(tmp, 'config'),
      XDG_STATE_HOME: path.join(tmp, 'state'),
      XDG_CACHE_HOME: path.join(tmp, 'cache'),
      AIRLOCK_STATE_ROOT: fs.mkdtempSync('/tmp/al-df-'),
    };
  });
  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !clean) return;
    for (const c of await clean.docker.listContainers({ all: true, filters: { label: ['airlock.role=kernel'] } })) {
      const logs = await clean.docker.getContainer(c.Id).logs({ stdout: true, stderr: true, tail: 40 });
      console.log(`      kernel log (${c.Names[0]}):\n${logs.toString('utf8').replace(/[\x00-\x08]/g, '')}`);
    }
  });
  after(async () => {
    await clean?.stop();
    await reg?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    if (env?.AIRLOCK_STATE_ROOT) fs.rmSync(env.AIRLOCK_STATE_ROOT, { recursive: true, force: true });
    console.log(`      whole suite: ${((Date.now() - t.start) / 1000).toFixed(1)} s`);
  });

  it('without a registry or a base, Electron refuses with IMAGE_NO_SOURCE and builds nothing (no offline builder)', async () => {
    const before = await images();
    const r = electronCli(['images', 'prepare']);
    assert.equal(r.status, 2, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /IMAGE_NO_SOURCE[^]*Electron/);
    assert.match(r.stderr, /AIRLOCK_IMAGE_BASE=HOST\/NAME@sha256/);
    assert.doesNotMatch(r.stdout + r.stderr, /assembling rootfs|IMAGE_NO_NODE/, 'the offline builder was not tried');
    assert.deepEqual(await images(), before);
  });

  it('airlock images base imports a Debian + Node.js base, pushes it to the loopback registry and prints it by digest', async () => {
    const t0 = Date.now();
    const lines: string[] = [];
    const errs: string[] = [];
    const io: CliIO = {
      out: (l) => lines.push(l),
      err: (l) => errs.push(l),
      readStdin: async () => '',
      cwd: tmp,
      env: { ...env, PATH: process.env.PATH },
    }; // the base ships a real Node.js: this (non-Electron) process's
    assert.equal(await runCli(['images', 'base', '--registry', `${reg.host}/airlock`], io), 0, errs.join('\n'));
    const printed = /^AIRLOCK_IMAGE_BASE=(\S+)$/.exec(lines.at(-1) ?? '')?.[1];
    assert.match(printed ?? '', new RegExp(`^${reg.host.replace(/\./g, '\\.')}/airlock/base@sha256:[0-9a-f]{64}$`), lines.join('\n'));
    base = printed!;
    // The registry serves that digest; the engine must get the base from there, not from its own store.
    const [repo, digest] = base.split('@');
    const r = await fetch(`http://${reg.host}/v2/${repo.slice(reg.host.length + 1)}/manifests/${digest}`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    assert.equal(r.status, 200);
    for (const img of await images()) await clean.docker.getImage(img.Id).remove({ force: true });
    assert.equal((await images()).length, 0);
    console.log(`      base made and pushed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  it('images prepare builds kernel, sandbox-node and code-executor from their Dockerfiles FROM that base', async () => {
    const t0 = Date.now();
    const r = electronCli(['images', 'prepare', '--json'], { AIRLOCK_IMAGE_BASE: base });
    console.log(`      three Dockerfile builds in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr.slice(-4000)}`);
    const ready = JSON.parse(r.stdout) as { images: Array<{ kind: string; ref: string }> };
    assert.deepEqual(ready.images.map((i) => i.kind).sort(), ['code-executor', 'kernel', 'sandbox-node']);
    for (const img of ready.images) {
      const info = await clean.docker.getImage(img.ref).inspect();
      assert.equal(info.Config.Labels?.[BUILT_FROM_LABEL], base, `${img.kind} was built FROM the registry base`);
      assert.match(img.ref, /:df-[0-9a-f]{16}$/);
    }
    // Everything on the engine is the base (pulled by digest) or a Dockerfile build: the offline builder made nothing.
    for (const img of await images()) {
      const fromRegistry = img.RepoDigests?.includes(base);
      assert.ok(fromRegistry || img.Labels?.[BUILT_FROM_LABEL] === base, `${img.RepoTags} is neither the base nor built from it`);
    }
    // The kernel's natives were loaded by the image's own node during the build (its RUN step), and load again here.
    const run = await clean.docker.run(
      ready.images.find((i) => i.kind === 'kernel')!.ref,
      [
        'node',
        '-e',
        "for (const m of ['better-sqlite3', 'airlock-peercred']) require('/opt/airlock/dist/node_modules/' + m); console.log(process.version)",
      ],
      new PassThrough(),
      { HostConfig: { AutoRemove: true, NetworkMode: 'none' } },
    );
    assert.equal(run[0].StatusCode, 0);
    // Found again by the hash of its inputs: a second prepare builds nothing. (The kernel's inputs include policies/ and
    // dist/, which other work in a shared tree may change meanwhile; the sandbox images depend on the Dockerfile and base.)
    const sandboxes = (x: typeof ready) => x.images.filter((i) => i.kind !== 'kernel');
    const ids = async () => Promise.all(sandboxes(ready).map(async (i) => (await clean.docker.getImage(i.ref).inspect()).Id));
    const before = await ids();
    const t1 = Date.now();
    const again = electronCli(['images', 'prepare', '--json'], { AIRLOCK_IMAGE_BASE: base });
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(sandboxes(JSON.parse(again.stdout) as typeof ready), sandboxes(ready));
    assert.deepEqual(await ids(), before, 'the same images, not rebuilt');
    console.log(`      second prepare (found by input hash) in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  });

  it('a replayed task starts the kernel from the Dockerfile image, runs its command in a sandbox from them, and merges', async () => {
    fs.writeFileSync(
      path.join(ws, 'task.replay.jsonl'),
      execReplay([['node', '-e', "require('fs').writeFileSync('made-in-sandbox.txt', process.version + '\\n')"]]),
    );
    const t0 = Date.now();
    const r = electronCli(['run', 'Write a file', '--replay', path.join(ws, 'task.replay.jsonl'), '--mode', 'explore', '--workspace', ws], {
      AIRLOCK_IMAGE_BASE: base,
    });
    console.log(`      kernel start + replayed task in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr.slice(-4000)}`);
    const set = /Patch set (ps_\w+):/.exec(r.stdout)?.[1];
    assert.ok(set, r.stdout);
    for (const args of [
      ['review', 'accept', set],
      ['review', 'merge', set],
    ]) {
      const m = electronCli([...args, '--workspace', ws], { AIRLOCK_IMAGE_BASE: base });
      assert.equal(m.status, 0, `${args.join(' ')}: ${m.stdout}\n${m.stderr}`);
    }
    assert.match(fs.readFileSync(path.join(ws, 'made-in-sandbox.txt'), 'utf8'), /^v20\.\d+\.\d+\n$/);
    const kernels = await clean.docker.listContainers({ all: true, filters: { label: ['airlock.role=kernel'] } });
    assert.equal(kernels.length, 1);
    assert.match(kernels[0].Image, /^localhost\/airlock\/kernel:df-[0-9a-f]{16}$/, 'the kernel runs from the Dockerfile build');
    for (const img of await images()) {
      assert.ok(img.RepoDigests?.includes(base) || img.Labels?.[BUILT_FROM_LABEL] === base, `${img.RepoTags}: nothing else was built`);
    }
  });
});
